#include <gtest/gtest.h>
#include <sgn/schemas/bytes.capnp.h>

#include <cstring>

#include "support/element_harness.hpp"

namespace sgn {
namespace {

std::vector<Frame> produce(const PropertyMap& properties) {
  test::Harness<test::NoPad, schema::Bytes> h("bytes-source", properties);
  h.run();
  return h.output();
}

TEST(BytesSource, EmitsTheRequestedFramesAndSize) {
  const auto frames = produce({{"frames", "12"}, {"size", "1000"}});
  ASSERT_EQ(frames.size(), 12u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    auto view = frames[i].read<schema::Bytes>();
    EXPECT_EQ(view->getData().size(), 1000u);
    EXPECT_EQ(frames[i].header().sequence, i);
    for (auto b : view->getData()) ASSERT_EQ(b, 0);  // fill=none: zeros
  }
  EXPECT_EQ(produce({{"frames", "3"}, {"size", "0"}}).size(), 3u);
}

TEST(BytesSource, IndexFillNumbersFrames) {
  const auto frames = produce({{"frames", "5"}, {"size", "64"}, {"fill", "index"}});
  ASSERT_EQ(frames.size(), 5u);
  for (std::uint64_t i = 0; i < 5; ++i) {
    auto view = frames[i].read<schema::Bytes>();
    std::uint64_t index = 99;
    std::memcpy(&index, view->getData().begin(), sizeof index);
    EXPECT_EQ(index, i);
    EXPECT_EQ(view->getData()[8], 0);
  }
  EXPECT_EQ(produce({{"frames", "2"}, {"size", "3"}, {"fill", "index"}})[1].read<schema::Bytes>()->getData()[0], 1);
}

TEST(BytesSource, PatternFillSetsEveryByte) {
  const auto frames = produce({{"frames", "3"}, {"size", "600"}, {"fill", "pattern"}});
  ASSERT_EQ(frames.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    auto data = frames[k].read<schema::Bytes>()->getData();
    for (std::size_t i = 0; i < data.size(); ++i) ASSERT_EQ(data[i], static_cast<capnp::byte>(k + i)) << k << "/" << i;
  }
}

TEST(BytesSource, PatternFillOfLargeFramesWrapsEvery256Bytes) {
  const auto frames = produce({{"frames", "2"}, {"size", "70001"}, {"fill", "pattern"}});
  ASSERT_EQ(frames.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    auto data = frames[k].read<schema::Bytes>()->getData();
    ASSERT_EQ(data.size(), 70001u);
    for (std::size_t i = 0; i < data.size(); ++i) ASSERT_EQ(data[i], static_cast<capnp::byte>(k + i)) << k << "/" << i;
  }
}

TEST(BytesSource, BadPropertiesNameElementPropertyAndValue) {
  const std::string fill = test::property_error("bytes-source", {{"fill", "random"}}, "bench");
  EXPECT_NE(fill.find("'bench'"), std::string::npos) << fill;
  EXPECT_NE(fill.find("fill"), std::string::npos) << fill;
  EXPECT_NE(fill.find("random"), std::string::npos) << fill;
  const std::string size = test::property_error("bytes-source", {{"size", "-1"}}, "bench");
  EXPECT_NE(size.find("size"), std::string::npos) << size;
  EXPECT_NE(size.find("-1"), std::string::npos) << size;
}

}  // namespace
}  // namespace sgn
