// iceoryx service strings: pad events unique by construction and within iceoryx's
// capacity, and no silent truncation. Needs no RouDi.

#include "process/iox_service.hpp"

#include <gtest/gtest.h>
#include <sgn/error.hpp>

#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace sgn::detail {
namespace {

TEST(ServiceEvent, ShortNamesReadAsElementDotPadWithTheIds) {
  EXPECT_EQ(service_event(3, 0, "fir", "out"), "fir.out#3.0");
  EXPECT_EQ(service_event(12, 7, "mux", "in1"), "mux.in1#12.7");
}

TEST(ServiceEvent, LongNamesSharingTheirStartStayApartAndFit) {
  const std::string common(117, 'x');
  const std::string one = service_event(1, 0, common + "one", "out");
  const std::string two = service_event(2, 0, common + "two", "out");
  EXPECT_NE(one, two);
  EXPECT_LE(one.size(), kServiceStringCapacity);
  EXPECT_LE(two.size(), kServiceStringCapacity);
  EXPECT_EQ(one.size(), kServiceStringCapacity) << "as much of the name as fits is kept";
  EXPECT_EQ(one.rfind(common.substr(0, 80), 0), 0u) << one;  // readable: the element's start...
  EXPECT_NE(one.find("~.out#1.0"), std::string::npos) << one;  // ...the cut, the pad and the ids
}

TEST(ServiceEvent, ALongPadKeepsTheElementAndFits) {
  const std::string event = service_event(0, 1, "src", std::string(300, 'p'));
  EXPECT_EQ(event.rfind("src~.ppp", 0), 0u) << event;
  EXPECT_EQ(event.size(), kServiceStringCapacity);
  const std::string both = service_event(5, 5, std::string(300, 'e'), std::string(300, 'p'));
  EXPECT_EQ(both.size(), kServiceStringCapacity);
  EXPECT_NE(both.find("eee~.ppp"), std::string::npos) << both;
}

TEST(ServiceEvent, UniquePerNodeAndPadWhateverTheNames) {
  // Names that would collide if the ids were cut or ambiguous: one long name for every
  // pad, names holding the separators, the largest indexes.
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  const std::vector<std::size_t> ids{0, 1, 10, 11, 101, huge - 1, huge};
  for (const auto& [element, pad] : {std::pair{std::string(500, 'n'), std::string("out")},
                                     std::pair{std::string("a#1"), std::string("1#1.1")},
                                     std::pair{std::string("a"), std::string(300, '#')}}) {
    std::set<std::string> events;
    for (std::size_t node : ids) {
      for (std::size_t pad_index : ids) {
        const std::string event = service_event(node, pad_index, element, pad);
        EXPECT_LE(event.size(), kServiceStringCapacity) << event;
        EXPECT_EQ(event.substr(event.rfind('#')), "#" + std::to_string(node) + "." + std::to_string(pad_index))
            << event;
        events.insert(event);
      }
    }
    EXPECT_EQ(events.size(), ids.size() * ids.size()) << "two pads named '" << element << "." << pad << "' meet";
  }
}

TEST(SgnService, KeepsStringsThatFitWhole) {
  const std::string event(kServiceStringCapacity, 'e');
  const auto service = sgn_service("1234.0", event);
  EXPECT_EQ(std::string(service.getServiceIDString().c_str()), "sgn");
  EXPECT_EQ(std::string(service.getInstanceIDString().c_str()), "1234.0");
  EXPECT_EQ(std::string(service.getEventIDString().c_str()), event);
}

TEST(SgnService, RefusesStringsIceoryxWouldTruncate) {
  for (const auto& [instance, event] : {std::pair{std::string("1234.0"), std::string(kServiceStringCapacity + 1, 'e')},
                                        std::pair{std::string(kServiceStringCapacity + 1, 'i'), std::string("ev")}}) {
    try {
      sgn_service(instance, event);
      FAIL() << "a string of " << kServiceStringCapacity + 1 << " characters was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::to_string(kServiceStringCapacity + 1)), std::string::npos) << what;
      EXPECT_NE(what.find(std::to_string(kServiceStringCapacity)), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace sgn::detail
