#include <gtest/gtest.h>
#include <sgn/closest_name.hpp>

namespace sgn {
namespace {

TEST(ClosestName, EditDistanceCountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("fir", "fir"), 0u);
  EXPECT_EQ(edit_distance("fir", "fr"), 1u);
  EXPECT_EQ(edit_distance("fir", "fira"), 1u);
  EXPECT_EQ(edit_distance("fir", "far"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(ClosestName, SuggestsOnlyANameWithinAFewEdits) {
  const std::vector<std::string> names{"sine-source", "stats-sink", "scale"};
  EXPECT_EQ(closest_name("sine-sorce", names), "sine-source");
  EXPECT_EQ(closest_name("stat-sink", names), "stats-sink");
  EXPECT_EQ(closest_name("scael", names), "scale");
  EXPECT_EQ(closest_name("file-sink", names), "") << "too far from all of them";
  EXPECT_EQ(closest_name("x", {}), "");
}

TEST(ClosestName, TheFirstOfEquallyCloseNamesWins) {
  EXPECT_EQ(closest_name("ab", {"aa", "bb"}), "aa");
  EXPECT_EQ(closest_name("ab", {"bb", "aa"}), "bb");
}

}  // namespace
}  // namespace sgn
