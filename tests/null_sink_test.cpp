#include <gtest/gtest.h>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/elements/null_sink.hpp>

#include "support/element_harness.hpp"

namespace sgn {
namespace {

TEST(NullSink, ConsumesEveryFrame) {
  for (Placement placement : {Placement::Main, Placement::Thread}) {
    test::Harness<schema::Bytes> h("null-sink", {}, placement);
    for (int i = 0; i < 30; ++i) h.push([](schema::Bytes::Builder out) { out.initData(16); });
    h.push_gap();
    const RunReport report = h.run();
    EXPECT_EQ(h.element<elements::NullSink>().frames(), 30u);
    EXPECT_EQ(report.find("element")->frames_in, 30u);
    EXPECT_EQ(report.find("element")->gaps, 1u);
    EXPECT_FALSE(report.stopped);
  }
}

}  // namespace
}  // namespace sgn
