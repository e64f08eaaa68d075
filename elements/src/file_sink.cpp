#include "sgn/elements/file_sink.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <sgn/schemas/frame.capnp.h>
#include <sgn/schemas/samples.capnp.h>

#include "detail/file_util.hpp"
#include "detail/property_error.hpp"

namespace sgn::elements {

ElementInfo FileSink::describe() {
  ElementInfo info{"file-sink", "stores Samples frames in a file (Cap'n Proto stream of StoredFrame)",
                   {property<std::string>("location", "", "path of the file to write (replaced if it exists)")}};
  // Said here too: an instance needs a location, so sgn-inspect cannot make one to ask.
  info.inputs = {{"in", schema_type<schema::Samples>()}};
  info.outputs.emplace();
  info.placements = {Placement::Thread, Placement::Process};
  return info;
}

FileSink::FileSink(const ElementArgs& args)
    : WorkerElement(args, {{"in", schema_type<schema::Samples>()}}, {}),
      location_(properties().get<std::string>("location")) {
  if (location_.empty()) detail::throw_property_error(args, "property 'location' = '' must name a file");
}

void FileSink::run(WorkerContext& ctx) {
  detail::File file(name(), location_, O_WRONLY | O_CREAT | O_TRUNC);
  InputPad in = ctx.input();
  while (std::optional<Frame> frame = in.pull()) {
    if (frame->eos()) break;
    const FrameHeader& h = frame->header();
    if (!frame->gap()) frame->read<schema::Samples>(name() + ":in");  // checks the type
    capnp::MallocMessageBuilder message(32);
    auto stored = message.initRoot<schema::StoredFrame>();
    auto header = stored.initHeader();
    header.setSequence(h.sequence);
    header.setTimestampNs(h.timestamp_ns);
    header.setFlags(h.flags & (kFrameEos | kFrameGap));  // stream flags only, not how it was built
    header.setSchemaId(h.schema_id);
    header.setMessageBytes(h.message_bytes);
    if (!frame->gap()) {
      // The segment becomes a second message segment in place: written, never copied.
      const capnp::Data::Reader segment(reinterpret_cast<const capnp::byte*>(frame->payload()), h.message_bytes);
      stored.adoptSegment(message.getOrphanage().referenceExternalData(segment));
    }
    try {
      capnp::writeMessageToFd(file.fd(), message);
    } catch (const kj::Exception& e) {
      throw std::runtime_error(
          fmt::format("element '{}': writing '{}': {}", name(), location_, e.getDescription().cStr()));
    }
    ++frames_;
  }
  file.close(name(), location_);
}

}  // namespace sgn::elements
