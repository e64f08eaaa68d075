#include <gtest/gtest.h>
#include <sgn/schemas/bytes.capnp.h>

#include <cstring>

#include "support/element_harness.hpp"

namespace sgn {
namespace {

std::string bytes_of(const Frame& frame) {
  auto view = frame.read<schema::Bytes>();
  return std::string(reinterpret_cast<const char*>(view->getData().begin()), view->getData().size());
}

TEST(Passthrough, PassesBytesOnAndKeepsHeaders) {
  for (Placement placement : {Placement::Main, Placement::Thread}) {
    test::Harness<schema::Bytes, schema::Bytes> h("passthrough", {}, placement);
    const std::vector<std::string> payloads{"hello", "", std::string(10000, 'x')};
    for (const auto& p : payloads) {
      h.push([p](schema::Bytes::Builder out) {
        out.setData(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(p.data()), p.size()));
      });
    }
    h.push_gap();
    h.run();
    ASSERT_EQ(h.output().size(), 4u);
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      EXPECT_EQ(bytes_of(h.output()[i]), payloads[i]);
      EXPECT_EQ(h.output()[i].header().sequence, i);
      EXPECT_NE(h.output()[i].header().timestamp_ns, 0);
    }
    EXPECT_TRUE(h.output()[3].gap());
  }
}

TEST(Passthrough, KeepsTheSourceTimestamp) {
  Registry registry;
  elements::register_all(registry);
  Pipeline p(PipelineOptions{.handle_signals = false, .registry = &registry});
  p.add("bytes-source", "src", {{"frames", "20"}, {"size", "100"}, {"fill", "index"}})
      .add("passthrough", "pass", {}, Placement::Thread)
      .add("null-sink", "sink");
  p.link("src", "pass").link("pass", "sink");
  const RunReport report = p.run();
  EXPECT_EQ(report.find("pass")->frames_in, 20u);
  EXPECT_EQ(report.find("pass")->frames_out, 20u);
  EXPECT_EQ(report.find("sink")->frames_in, 20u);
  EXPECT_EQ(report.find("pass")->bytes_out, report.find("src")->bytes_out);
  EXPECT_EQ(report.find("pass")->copies, 0u);
}

}  // namespace
}  // namespace sgn
