#include "sgn/elements/passthrough.hpp"

namespace sgn::elements {

ElementInfo Passthrough::describe() {
  return {"passthrough", "passes Bytes frames on unchanged, without copying them", {}};
}

}  // namespace sgn::elements
