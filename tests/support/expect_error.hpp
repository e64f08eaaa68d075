#pragma once
// Checking that something throws a given exception whose message names what it should.

#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <vector>

namespace sgn::test {

/// `f` throws E whose message holds every text in `expected`.
template <class E, class F>
void expect_error(F f, const std::vector<std::string>& expected) {
  try {
    f();
    FAIL() << "nothing thrown";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const auto& text : expected) EXPECT_NE(what.find(text), std::string::npos) << text << " in: " << what;
  } catch (const std::exception& e) {
    FAIL() << "wrong exception: " << e.what();
  }
}

}  // namespace sgn::test
