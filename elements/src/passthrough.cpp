#include "sgn/elements/passthrough.hpp"

namespace sgn::elements {

ElementInfo Passthrough::describe() { return {"passthrough", "copies Bytes frames through unchanged", {}}; }

Flow Passthrough::process(schema::Bytes::Reader in, schema::Bytes::Builder out, Context&) {
  out.setData(in.getData());
  return Flow::Ok;
}

}  // namespace sgn::elements
