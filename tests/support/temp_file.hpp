#pragma once
// A file path in a directory of the test's own (mkdtemp, mode 0700) under the
// test temp folder; both are removed when the test ends.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "support/process_helpers.hpp"

namespace sgn::test {

class TempFile {
 public:
  explicit TempFile(const std::string& stem) {
    dir_ = make_temp_dir("sgn-test");
    if (dir_.empty()) {
      ADD_FAILURE() << "no temporary directory for " << stem << " under " << ::testing::TempDir();
      return;
    }
    path_ = (dir_ / stem).string();
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& path() const noexcept { return path_; }
  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace sgn::test
