#include <gtest/gtest.h>
#include <sgn/elements/stats_sink.hpp>
#include <sgn/pipeline.hpp>

#include "support/harness_util.hpp"
#include "support/samples_util.hpp"

namespace sgn {
namespace {

TEST(StatsSink, CountsFramesBytesSamplesAndGaps) {
  testing::Harness h(test::element_registry(), "stats-sink");
  h.push<schema::Samples>(test::samples_frame(std::vector<float>(20), 2, 8000))
      .push_gap()
      .push<schema::Samples>(test::samples_frame(std::vector<float>(20), 2, 8000))
      .push<schema::Samples>(test::samples_frame(std::vector<float>(6), 2, 8000));
  h.finish();
  const elements::StreamStats s = h.element<elements::StatsSink>().stats();
  EXPECT_EQ(s.frames, 3u);
  EXPECT_EQ(s.gaps, 1u);
  EXPECT_EQ(s.samples, 23u);
  EXPECT_EQ(s.channels, 2u);
  EXPECT_EQ(s.sample_rate, 8000.0);
  EXPECT_EQ(s.bytes, h.stats().bytes_in);
  EXPECT_GT(s.bytes, 46u * sizeof(float));
}

TEST(StatsSink, MeasuresLatencyFromTheFramesTimestamps) {
  testing::Harness h(test::element_registry(), "stats-sink", {}, Placement::Thread);
  const std::int64_t a_second_ago = monotonic_ns() - 1'000'000'000;
  for (int i = 0; i < 10; ++i) h.push<schema::Samples>(test::samples_frame({1, 2}, 1), {}, a_second_ago);
  h.finish();
  const elements::StreamStats s = h.element<elements::StatsSink>().stats();
  EXPECT_EQ(s.frames, 10u);
  EXPECT_GE(s.latency_p50_us, 0.85e6);  // the histogram has ~3% resolution
  EXPECT_LT(s.latency_p99_us, 60e6);
  EXPECT_GE(s.latency_p99_us, s.latency_p50_us);
}

TEST(StatsSink, MeasuresRateAndLatencyOfALiveStream) {
  Registry registry;
  elements::register_all(registry);
  Pipeline p(PipelineOptions{.handle_signals = false, .registry = &registry});
  p.add("sine-source", "src", {{"frames", "200"}, {"channels", "4"}, {"samples", "256"}})
      .add("stats-sink", "stats", {}, Placement::Thread);
  p.link("src", "stats");
  const RunReport report = p.run();
  const auto s = dynamic_cast<const elements::StatsSink&>(p.element("stats")).stats();
  EXPECT_EQ(s.frames, 200u);
  EXPECT_EQ(s.samples, 200u * 256);
  EXPECT_EQ(s.channels, 4u);
  EXPECT_EQ(s.bytes, report.find("stats")->bytes_in);
  EXPECT_GT(s.seconds, 0);
  EXPECT_GT(s.frames_per_second, 0);
  EXPECT_GT(s.bytes_per_second, s.frames_per_second * 256 * 4 * 4 * 0.9);
  EXPECT_GT(s.latency_p50_us, 0);
  EXPECT_GE(s.latency_p99_us, s.latency_p50_us);
  EXPECT_LT(s.latency_p99_us, 10e6);
}

TEST(StatsSink, AnEmptyStreamReportsZeros) {
  testing::Harness h(test::element_registry(), "stats-sink");
  h.finish();
  const auto s = h.element<elements::StatsSink>().stats();
  EXPECT_EQ(s.frames, 0u);
  EXPECT_EQ(s.frames_per_second, 0);
  EXPECT_EQ(s.latency_p99_us, 0);
}

}  // namespace
}  // namespace sgn
