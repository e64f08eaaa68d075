#include "common/shm_segment.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/shared_memory.hpp>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace sgn::detail {
namespace {

std::string unique_name(const char* what) { return fmt::format("/sgn-test-{}-{}", ::getpid(), what); }
bool exists(const std::string& name) { return std::filesystem::exists("/dev/shm" + name); }

TEST(ShmSegment, CreatedZeroedMappedAndUnlinkedByItsOwner) {
  const std::string name = unique_name("owner");
  {
    ShmSegment segment = ShmSegment::create(name, 4096);
    ASSERT_TRUE(exists(name));
    auto* bytes = static_cast<unsigned char*>(segment.data());
    for (std::size_t i = 0; i < 4096; ++i) ASSERT_EQ(bytes[i], 0);
    std::memcpy(segment.data(), "calibration", 12);
    ShmSegment reader = ShmSegment::open(name, false);
    EXPECT_EQ(reader.size(), 4096u);
    EXPECT_STREQ(static_cast<const char*>(reader.data()), "calibration");
  }
  EXPECT_FALSE(exists(name));
}

TEST(ShmSegment, ANameThatExistsIsAnErrorAndTheOtherSegmentSurvives) {
  const std::string name = unique_name("taken");
  ShmSegment first = ShmSegment::create(name, 64);
  try {
    ShmSegment::create(name, 64);
    FAIL() << "a second create must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(exists(name));
}

TEST(ShmSegment, OpeningAMissingSegmentNamesIt) {
  const std::string name = unique_name("missing");
  try {
    ShmSegment::open(name, false);
    FAIL() << "opening a missing segment must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST(ShmSegment, CleanupAllShmUnlinksEveryTrackedSegment) {
  const std::string a = unique_name("cleanup-a");
  const std::string b = unique_name("cleanup-b");
  ShmSegment first = ShmSegment::create(a, 64);
  ShmSegment second = ShmSegment::create(b, 64);
  cleanup_all_shm();
  EXPECT_FALSE(exists(a));
  EXPECT_FALSE(exists(b));
}

TEST(ShmSegment, MovingKeepsOneOwner) {
  const std::string name = unique_name("moved");
  ShmSegment outer;
  {
    ShmSegment inner = ShmSegment::create(name, 64);
    outer = std::move(inner);
  }
  EXPECT_TRUE(exists(name));
  outer = ShmSegment();
  EXPECT_FALSE(exists(name));
}

}  // namespace
}  // namespace sgn::detail
