#include <gtest/gtest.h>
#include <sgn/schemas/bytes.capnp.h>
#include <sgn/elements/null_sink.hpp>

#include "support/harness_util.hpp"

namespace sgn {
namespace {

TEST(NullSink, ConsumesEveryFrame) {
  for (Placement placement : {Placement::Main, Placement::Thread}) {
    SCOPED_TRACE(to_string(placement));
    testing::Harness h(test::element_registry(), "null-sink", {}, placement);
    for (int i = 0; i < 30; ++i) h.push<schema::Bytes>([](schema::Bytes::Builder out) { out.initData(16); });
    h.push_gap();
    const RunReport report = h.finish();
    EXPECT_EQ(h.element<elements::NullSink>().frames(), 30u);
    EXPECT_EQ(h.stats().frames_in, 30u);
    EXPECT_EQ(h.stats().gaps, 1u);
    EXPECT_FALSE(report.stopped);
  }
}

}  // namespace
}  // namespace sgn
