#pragma once
/// "null-sink": consumes Bytes frames and drops them.

#include <sgn/element.hpp>
#include <sgn/registry.hpp>
#include <sgn/schemas/bytes.capnp.h>

#include <cstdint>

namespace sgn::elements {

class NullSink final : public Sink<schema::Bytes> {
 public:
  static ElementInfo describe();
  explicit NullSink(const ElementArgs& args) : Sink(args) {}

  Flow consume(schema::Bytes::Reader in, Context& ctx) override;
  /// Data frames consumed; read it after the run (or where the element runs).
  std::uint64_t frames() const noexcept { return frames_; }

 private:
  std::uint64_t frames_ = 0;
};

}  // namespace sgn::elements
