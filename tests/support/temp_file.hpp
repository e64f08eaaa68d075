#pragma once
// A file path in a directory of the test's own (mkdtemp, mode 0700) under the
// test temp folder; both are removed when the test ends.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace sgn::test {

class TempFile {
 public:
  explicit TempFile(const std::string& stem) {
    std::string pattern = ::testing::TempDir() + "sgn-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << pattern << ") failed";
      return;
    }
    dir_ = pattern;
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
