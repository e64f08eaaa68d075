#include "sgn/elements/file_source.hpp"

#include <capnp/serialize.h>
#include <kj/io.h>
#include <sgn/error.hpp>
#include <sgn/schemas/frame.capnp.h>
#include <sgn/schemas/samples.capnp.h>
#include <sys/stat.h>

#include <algorithm>

#include "detail/file_util.hpp"
#include "detail/property_error.hpp"

namespace sgn::elements {

ElementInfo FileSource::describe() {
  ElementInfo info{"file-source", "replays Samples frames stored by file-sink",
                   {property<std::string>("location", "", "path of the file to read"),
                    property<bool>("restamp", false, "timestamp frames when read instead of with the stored time")}};
  // Said here too: an instance needs a location, so sgn-inspect cannot make one to ask.
  info.inputs.emplace();
  info.outputs = {{"out", schema_type<schema::Samples>()}};
  info.placements = {Placement::Thread, Placement::Process};
  return info;
}

FileSource::FileSource(const ElementArgs& args)
    : WorkerElement(args, {}, {{"out", schema_type<schema::Samples>()}}),
      location_(properties().get<std::string>("location")),
      restamp_(properties().get<bool>("restamp")) {
  if (location_.empty()) detail::throw_property_error(args, "property 'location' = '' must name a file");
}

void FileSource::run(WorkerContext& ctx) {
  detail::File file(name(), location_, O_RDONLY);
  struct stat info {};
  if (::fstat(file.fd(), &info) != 0) {
    throw std::system_error(errno, std::generic_category(), fmt::format("element '{}': stat '{}'", name(), location_));
  }
  capnp::ReaderOptions options;
  // A stored frame may be as large as the file; Cap'n Proto's default limit is 64 MiB.
  options.traversalLimitInWords =
      std::max<std::uint64_t>(options.traversalLimitInWords, static_cast<std::uint64_t>(info.st_size) / 8 + 1024);
  kj::FdInputStream raw(file.fd());
  kj::BufferedInputStreamWrapper input(raw);
  const SchemaType& samples = schema_type<schema::Samples>();
  OutputPad out = ctx.output();
  try {
    while (!ctx.should_shutdown() && input.tryGetReadBuffer().size() != 0) {
      capnp::InputStreamMessageReader message(input, options);
      auto stored = message.getRoot<schema::StoredFrame>();
      auto h = stored.getHeader();
      FrameWriter writer;
      std::uint32_t flags = 0;
      if (h.getFlags() & kFrameGap) {
        writer = out.loan(0);
        flags = kFrameGap;
      } else {
        if (h.getSchemaId() != samples.id) {
          throw TypeMismatchError(fmt::format("element '{}': frame {} of '{}' carries schema id {:#x}, not {} ({:#x})",
                                              name(), h.getSequence(), location_, h.getSchemaId(), samples.name,
                                              samples.id));
        }
        auto segment = stored.getSegment();
        if (segment.size() != h.getMessageBytes()) {
          throw std::runtime_error(fmt::format("element '{}': frame {} of '{}' has a segment of {} bytes, not {}",
                                               name(), h.getSequence(), location_, segment.size(),
                                               h.getMessageBytes()));
        }
        writer = out.loan(segment.size());
        writer.copy_message(reinterpret_cast<const std::byte*>(segment.begin()), segment.size(), h.getSchemaId());
      }
      writer.header().sequence = h.getSequence();
      writer.header().timestamp_ns = restamp_ ? monotonic_ns() : h.getTimestampNs();
      // Published as restored: push(FrameWriter) would renumber a stored sequence 0.
      if (!out.push(writer.finish(flags))) return;
      ++frames_;
    }
  } catch (const kj::Exception& e) {
    throw std::runtime_error(fmt::format("element '{}': reading '{}': {}", name(), location_, e.getDescription().cStr()));
  }
}

}  // namespace sgn::elements
