#pragma once
// The elements a Harness puts around the element under test, in worker threads: an
// injector per input pad (sends what the test pushed) and a collector per output pad
// (copies what the element published into the harness).

#include <cstddef>
#include <memory>

#include "harness_state.hpp"
#include "sgn/element.hpp"

namespace sgn::testing::detail {

/// Sends what the test queues on input pad `pad` of the element under test, then EOS.
std::unique_ptr<Element> make_injector(const ElementArgs& args, Harness::State& state, std::size_t pad);
/// Copies every frame of output pad `pad` of the element under test into `state`, EOS included.
std::unique_ptr<Element> make_collector(const ElementArgs& args, Harness::State& state, std::size_t pad);

}  // namespace sgn::testing::detail
