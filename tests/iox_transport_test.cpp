// The shared-memory transport against a real RouDi (private namespaces, see
// support/private_shm.sh): one process plays both ends of a link.
#include "process/iox_transport.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sgn/error.hpp>
#include <sgn/schemas/bytes.capnp.h>

#include <chrono>
#include <cstring>
#include <optional>

#include "frames/heap_frame_pool.hpp"
#include "process/control_block.hpp"
#include "process/process_runtime.hpp"
#include "roudi/run_record.hpp"
#include "support/wait_until.hpp"

namespace sgn::detail {
namespace {

using namespace std::chrono_literals;

class IoxTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ProcessRuntime::instance().ensure_main(); }

  IoxTransportTest()
      : instance_(fmt::format("{}.{}", process_token(), ++instances_)),
        block_(ControlBlock::create(fmt::format("/sgn.{}.ctl", instance_), 2, 1)) {}

  /// The producer (node 0) and the consumer (node 1) of link 0, connected.
  void connect(std::size_t queue_maxsize) {
    output_.emplace(Topic{instance_, "link"}, block_, std::vector<IoxOutput::Link>{{0, &block_.waker(1)}},
                    queue_maxsize, ProcessRuntime::instance().mempools(), 1, nullptr);
    input_.emplace(Topic{instance_, "link"}, block_, 0, &block_.waker(0), queue_maxsize, "test:in");
    ASSERT_TRUE(test::wait_until([&] { return output_->connected() && input_->connected(); }, 10s));
  }
  void TearDown() override {
    input_.reset();  // the subscriber before the publisher, as a run ends them
    output_.reset();
  }

  Frame bytes_frame(FrameWriter writer, std::size_t bytes, char fill) {
    auto data = writer.init<schema::Bytes>().initData(static_cast<unsigned>(bytes));
    std::memset(data.begin(), fill, bytes);
    return writer.finish();
  }
  Frame take() {
    Frame frame;
    EXPECT_TRUE(test::wait_until([&] { return input_->try_pop(frame); }, 10s)) << "nothing arrived";
    return frame;
  }

  static inline int instances_ = 0;
  std::string instance_;
  ControlBlock block_;
  std::optional<IoxOutput> output_;
  std::optional<IoxInput> input_;
};

TEST_F(IoxTransportTest, AFrameBuiltInAChunkArrivesWithoutACopy) {
  connect(4);
  {
    Frame sent = bytes_frame(output_->loan(1100, "test:out"), 1000, 'x');
    const std::byte* payload = sent.payload();
    ASSERT_TRUE(output_->try_push(sent));
    EXPECT_FALSE(sent) << "the sender gives its handle up";
    const Frame got = take();
    EXPECT_EQ(got.payload(), payload) << "the consumer reads the producer's chunk (one mapping in this process)";
    EXPECT_EQ(got.read<schema::Bytes>()->getData().size(), 1000u);
    EXPECT_EQ(got.read<schema::Bytes>()->getData()[999], 'x');
  }
  EXPECT_EQ(output_->copies(), 0u);
  EXPECT_EQ(block_.link(0).published.load(), 1u);
  EXPECT_EQ(block_.link(0).consumed.load(), 1u);
  EXPECT_EQ(block_.link(0).data_published.load(), 1u);
  EXPECT_EQ(block_.link(0).data_consumed.load(), 1u);
}

TEST_F(IoxTransportTest, AFrameFromElsewhereIsCopiedOnceAndCounted) {
  connect(4);
  Frame heap = bytes_frame(loan_heap_frame(128, "test:heap"), 64, 'h');
  ASSERT_TRUE(output_->try_push(heap));
  const Frame got = take();
  EXPECT_EQ(got.read<schema::Bytes>()->getData()[0], 'h');
  EXPECT_EQ(output_->copies(), 1u);
}

TEST_F(IoxTransportTest, CreditsBoundTheFramesInFlight) {
  connect(4);
  int pushed = 0;
  while (output_->has_space() && pushed < 100) {
    Frame frame = bytes_frame(output_->loan(64, "test:out"), 8, 'c');
    ASSERT_TRUE(output_->try_push(frame));
    ++pushed;
  }
  EXPECT_EQ(pushed, 4) << "queue_maxsize frames ahead of the consumer, no more";
  Frame refused = bytes_frame(output_->loan(64, "test:out"), 8, 'r');
  EXPECT_FALSE(output_->try_push(refused));
  EXPECT_TRUE(refused) << "a refused frame stays with the sender";
  EXPECT_EQ(input_->size(), 4u);
  { const Frame got = take(); }
  EXPECT_TRUE(output_->has_space()) << "taking one returns a credit";
}

TEST_F(IoxTransportTest, APopWakesTheProducerOnlyWhenItFoundTheLinkFull) {
  connect(2);
  Waker& producer = block_.waker(0);
  const auto push = [&] {
    Frame frame = bytes_frame(output_->loan(64, "test:out"), 8, 'w');
    ASSERT_TRUE(output_->try_push(frame));
  };
  {
    Waker::Ticket ticket = producer.prepare_wait();  // the producer waits for something else (a due time)
    push();
    { const Frame got = take(); }
    EXPECT_FALSE(ticket.wait(0ns, Waker::Spin{})) << "a pop with room to spare wakes nobody";
  }
  push();
  push();
  ASSERT_FALSE(output_->has_space()) << "two frames ahead fill a window of two";
  {
    Waker::Ticket ticket = producer.prepare_wait();
    ASSERT_FALSE(output_->has_space()) << "the producer looks again after announcing itself, as a step loop does";
    { const Frame got = take(); }
    EXPECT_TRUE(ticket.wait(0ns, Waker::Spin{})) << "the pop that makes room wakes the producer that waits for it";
  }
  EXPECT_TRUE(output_->has_space());
  {
    Waker::Ticket ticket = producer.prepare_wait();
    { const Frame got = take(); }
    EXPECT_FALSE(ticket.wait(0ns, Waker::Spin{})) << "the request is answered once";
  }
}

TEST_F(IoxTransportTest, AFrameLargerThanTheLargestChunkIsRefusedBeforeAnyLoan) {
  connect(4);
  const std::size_t largest = ProcessRuntime::instance().mempools().largest_payload();
  try {
    (void)output_->loan(largest, "test:out");
    FAIL() << "the loan must be refused";
  } catch (const FrameError& e) {
    EXPECT_NE(std::string(e.what()).find("test:out"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(largest)), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sgn::detail
