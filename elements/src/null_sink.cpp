#include "sgn/elements/null_sink.hpp"

namespace sgn::elements {

ElementInfo NullSink::describe() { return {"null-sink", "consumes Bytes frames and drops them", {}}; }

Flow NullSink::consume(schema::Bytes::Reader, Context&) {
  ++frames_;
  return Flow::Ok;
}

}  // namespace sgn::elements
