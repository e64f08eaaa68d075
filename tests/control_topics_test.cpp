// The control topics against a real RouDi (private namespaces, see
// support/private_shm.sh): one process publishes and polls.
#include "process/control_topics.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "process/process_runtime.hpp"
#include "roudi/run_record.hpp"
#include "support/wait_until.hpp"

namespace sgn::detail {
namespace {

using namespace std::chrono_literals;

class ControlTopicsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ProcessRuntime::instance().ensure_main(); }
  std::string instance_ = fmt::format("{}.topics", process_token());
};

TEST_F(ControlTopicsTest, CommandsArriveInOrder) {
  ControlTopic commands(instance_, "command", ControlTopic::Role::Publish);
  ControlTopic worker(instance_, "command", ControlTopic::Role::Subscribe);
  ASSERT_TRUE(test::wait_until([&] { return commands.connected() && worker.connected(); }, 10s));
  commands.publish([](capnp::MessageBuilder& m) { m.initRoot<schema::Command>().setShutdown(); });
  commands.publish([](capnp::MessageBuilder& m) { m.initRoot<schema::Command>().setStop(); });
  std::vector<schema::Command::Which> seen;
  ASSERT_TRUE(test::wait_until(
      [&] {
        worker.poll([&](capnp::MessageReader& r) { seen.push_back(r.getRoot<schema::Command>().which()); });
        return seen.size() >= 2;
      },
      10s));
  EXPECT_EQ(seen, (std::vector<schema::Command::Which>{schema::Command::SHUTDOWN, schema::Command::STOP}));
}

TEST_F(ControlTopicsTest, StatusMessagesCarryTheirFields) {
  ControlTopic status(instance_, "status", ControlTopic::Role::Publish);
  ControlTopic main(instance_, "status", ControlTopic::Role::Subscribe);
  ASSERT_TRUE(test::wait_until([&] { return status.connected() && main.connected(); }, 10s));
  status.publish([](capnp::MessageBuilder& m) {
    auto s = m.initRoot<schema::Status>();
    s.setElement("w");
    s.setPid(1234);
    auto e = s.initError();
    e.setElement("w");
    e.setKind(schema::ErrorKind::BAD_INPUT);
    e.setType("sgn::PropertyError");
    e.setMessage("bad value");
  });
  int polled = 0;
  ASSERT_TRUE(test::wait_until(
      [&] {
        polled += main.poll([&](capnp::MessageReader& r) {
          auto s = r.getRoot<schema::Status>();
          EXPECT_EQ(std::string(s.getElement()), "w");
          EXPECT_EQ(s.getPid(), 1234);
          ASSERT_TRUE(s.isError());
          EXPECT_EQ(s.getError().getKind(), schema::ErrorKind::BAD_INPUT);
          EXPECT_EQ(std::string(s.getError().getMessage()), "bad value");
        });
        return polled == 1;
      },
      10s));
  EXPECT_EQ(main.poll([](capnp::MessageReader&) {}), 0) << "each message is read once";
}

}  // namespace
}  // namespace sgn::detail
