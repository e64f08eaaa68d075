#include "sgn/elements/register.hpp"

#include "sgn/elements/bytes_source.hpp"
#include "sgn/elements/dds_sink.hpp"
#include "sgn/elements/dds_source.hpp"
#include "sgn/elements/file_sink.hpp"
#include "sgn/elements/file_source.hpp"
#include "sgn/elements/fir.hpp"
#include "sgn/elements/null_sink.hpp"
#include "sgn/elements/passthrough.hpp"
#include "sgn/elements/scale.hpp"
#include "sgn/elements/sine_source.hpp"
#include "sgn/elements/stats_sink.hpp"

namespace sgn::elements {

void register_all(Registry& registry) {
  registry.add<SineSource>()
      .add<BytesSource>()
      .add<FileSource>()
      .add<Scale>()
      .add<Fir>()
      .add<Passthrough>()
      .add<NullSink>()
      .add<StatsSink>()
      .add<FileSink>()
      .add<DdsSink>()
      .add<DdsSource>();
}

}  // namespace sgn::elements
