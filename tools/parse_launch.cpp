// The launch-line parser: words -> elements, properties and links (see parse_launch.hpp).
// Two passes: first the whole description is read into elements and links with
// their positions, then elements are made and links resolved, so a pad reference
// may name an element that comes later.

#include "sgn/parse_launch.hpp"

#include "sgn/closest_name.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

namespace sgn {

// ---------------------------------------------------------------- ParseError

namespace {

bool is_control(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

// Control bytes from the input (an escape sequence, a carriage return) are shown as
// \xNN, never sent to the terminal.
std::string escape_controls(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (is_control(static_cast<unsigned char>(c))) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_parse_error(const std::string& reason, std::string_view text, std::size_t position,
                               std::size_t length, std::size_t& line, std::size_t& column) {
  position = std::min(position, text.size());
  std::size_t start = position;
  while (start > 0 && text[start - 1] != '\n') --start;
  std::size_t line_end = text.find('\n', start);
  if (line_end == std::string_view::npos) line_end = text.size();
  line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(start), '\n'));
  column = position - start + 1;
  const bool multiline = text.find('\n') != std::string_view::npos;
  std::string marker;
  for (std::size_t i = start; i < position; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\t') {
      marker += '\t';
    } else if (is_control(c)) {
      marker += "    ";  // shown as \xNN
    } else if ((c & 0xC0) != 0x80) {  // one column per character, not per UTF-8 byte
      marker += ' ';
    }
  }
  marker += '^';
  const std::size_t shown = std::min(std::max<std::size_t>(length, 1), line_end - std::min(position, line_end));
  for (std::size_t i = 1; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[position + i]);
    if (is_control(c)) {
      marker += "~~~~";
    } else if ((c & 0xC0) != 0x80) {
      marker += '~';
    }
  }
  const std::string where =
      multiline ? fmt::format("line {}, column {}", line, column) : fmt::format("column {}", column);
  return fmt::format("at {}: {}\n  {}\n  {}", where, escape_controls(reason),
                     escape_controls(text.substr(start, line_end - start)), marker);
}

}  // namespace

ParseError::ParseError(std::string reason, std::string_view description, std::size_t position, std::size_t length)
    : Error([&] {
        std::size_t line = 0, column = 0;
        return render_parse_error(reason, description, position, length, line, column);
      }()),
      reason_(std::move(reason)),
      position_(std::min(position, description.size())),
      length_(length) {
  render_parse_error(reason_, description, position, length, line_, column_);
}

// ---------------------------------------------------------------- parser

namespace {

constexpr std::size_t npos = std::string::npos;

std::string hint(std::string_view unknown, const std::vector<std::string>& candidates) {
  const std::string best = closest_name(unknown, candidates);
  return best.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", best);
}

struct Token {
  enum class Kind { Word, Bang } kind = Kind::Word;
  std::size_t pos = 0, len = 0;  // in the description
  std::string text;              // quotes removed
  std::size_t eq = npos;         // index in text of the first unquoted '='
  std::size_t dot = npos;        // index in text of the first unquoted '.' before any '='
  std::size_t value_pos = 0;     // in the description: where the value starts (after '=')
};

std::vector<Token> tokenize(std::string_view d) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  const auto space = [&](std::size_t k) { return std::isspace(static_cast<unsigned char>(d[k])) != 0; };
  while (i < d.size()) {
    if (space(i)) {
      ++i;
      continue;
    }
    if (d[i] == '#') {
      while (i < d.size() && d[i] != '\n') ++i;
      continue;
    }
    if (d[i] == '!') {
      tokens.push_back({Token::Kind::Bang, i, 1, "!", npos, npos, 0});
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    while (i < d.size() && !space(i) && d[i] != '!') {
      const char c = d[i];
      if (c == '"' || c == '\'') {
        const std::size_t open = i++;
        bool closed = false;
        while (i < d.size()) {
          if (d[i] == c) {
            closed = true;
            ++i;
            break;
          }
          if (c == '"' && d[i] == '\\' && i + 1 < d.size() && (d[i + 1] == '"' || d[i + 1] == '\\')) ++i;
          t.text += d[i++];
        }
        if (!closed) throw ParseError(fmt::format("unterminated {} quote", c == '"' ? "double" : "single"), d, open);
        continue;
      }
      if (c == '=' && t.eq == npos) {
        t.eq = t.text.size();
        t.value_pos = i + 1;
      } else if (c == '.' && t.eq == npos && t.dot == npos) {
        t.dot = t.text.size();
      }
      t.text += c;
      ++i;
    }
    t.len = i - t.pos;
    tokens.push_back(std::move(t));
  }
  return tokens;
}

struct PropertyWord {
  std::string key, value;
  std::size_t pos, len, value_pos, value_len;
};

struct ElementWord {
  std::string type;
  std::size_t pos, len;
  std::vector<PropertyWord> properties;
  std::string name;  // filled when it is made
};

/// One end of a link: an element word or a pad reference.
struct NodeWord {
  std::optional<std::size_t> element;  // index into elements, for an element word
  std::string ref, pad;                // for a pad reference
  std::size_t pos, len;
};

struct LinkWord {
  NodeWord from, to;
  std::size_t bang;
};

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '!' || c == '=' ||
           c == '"' || c == '\'';
  });
}

class Parser {
 public:
  Parser(std::string_view description, PipelineOptions options, std::optional<Placement> force)
      : d_(description), pipeline_(std::move(options)), registry_(pipeline_.registry()), force_(force) {}

  Pipeline run() {
    read();
    make_elements();
    make_links();
    return std::move(pipeline_);
  }

 private:
  [[noreturn]] void fail(std::string reason, std::size_t pos, std::size_t len = 1) const {
    throw ParseError(std::move(reason), d_, pos, len);
  }

  // Pass 1: words -> elements and links.
  void read() {
    const std::vector<Token> tokens = tokenize(d_);
    std::optional<NodeWord> previous;
    std::optional<std::size_t> bang;          // a '!' waiting for its right-hand node
    std::optional<std::size_t> current;       // element that properties attach to
    std::optional<NodeWord> unlinked_ref;     // a pad reference that has not been linked yet
    auto node = [&](NodeWord n) {
      if (bang) {
        links_.push_back({*previous, n, *bang});
        bang.reset();
        unlinked_ref.reset();
      } else if (unlinked_ref) {
        fail(fmt::format("pad reference '{}' is not linked to anything (a '!' must follow it)", unlinked_ref->ref + "." + unlinked_ref->pad),
             unlinked_ref->pos, unlinked_ref->len);
      }
      previous = n;
    };
    for (const Token& t : tokens) {
      if (t.kind == Token::Kind::Bang) {
        if (!previous) fail("'!' must follow an element or a pad reference", t.pos);
        if (bang) fail("expected an element or a pad reference after '!', found another '!'", t.pos);
        bang = t.pos;
        current.reset();
        unlinked_ref.reset();  // it has a link now (to whatever follows)
        continue;
      }
      if (t.eq != npos) {
        const std::string key = t.text.substr(0, t.eq);
        if (bang) fail(fmt::format("expected an element or a pad reference after '!', found property '{}'", t.text), t.pos, t.len);
        if (key.empty()) fail("a property needs a name before '='", t.pos, t.len);
        if (!current) {
          if (previous && !previous->element) {
            fail(fmt::format("property '{}' follows the pad reference '{}.{}': properties belong to an element",
                             key, previous->ref, previous->pad),
                 t.pos, t.len);
          }
          fail(fmt::format("property '{}' comes before any element", key), t.pos, t.len);
        }
        elements_[*current].properties.push_back(
            {key, t.text.substr(t.eq + 1), t.pos, t.len, t.value_pos, t.pos + t.len - t.value_pos});
        continue;
      }
      if (t.dot != npos) {
        NodeWord ref{std::nullopt, t.text.substr(0, t.dot), t.text.substr(t.dot + 1), t.pos, t.len};
        if (ref.ref.empty()) fail(fmt::format("pad reference '{}' needs an element name before '.'", t.text), t.pos, t.len);
        const bool starts_chain = !bang;
        node(ref);
        if (starts_chain) unlinked_ref = ref;
        current.reset();
        continue;
      }
      if (t.text.empty()) fail("empty element type name", t.pos, t.len);
      elements_.push_back({t.text, t.pos, t.len, {}, {}});
      current = elements_.size() - 1;
      node({current, {}, {}, t.pos, t.len});
    }
    if (bang) fail("the description ends after '!': expected an element or a pad reference", *bang);
    if (unlinked_ref) {
      fail(fmt::format("pad reference '{}.{}' is not linked to anything (a '!' must follow it)", unlinked_ref->ref,
                       unlinked_ref->pad),
           unlinked_ref->pos, unlinked_ref->len);
    }
    if (elements_.empty()) fail(tokens.empty() ? "empty pipeline description" : "the description names no element", 0);
  }

  // Pass 2a: make every element, with explicit names first claimed.
  void make_elements() {
    std::set<std::string> explicit_names;
    std::map<std::string, const PropertyWord*> name_words;
    for (auto& e : elements_) {
      for (const auto& p : e.properties) {
        if (p.key != "name") continue;
        if (!e.name.empty()) fail(fmt::format("element '{}' is named twice", e.type), p.pos, p.len);
        if (!valid_name(p.value)) {
          fail(fmt::format("invalid element name '{}' (names are non-empty, without whitespace, '.', ':', '!', '=' "
                           "or quotes)",
                           p.value),
               p.value_pos, p.value_len);
        }
        if (!explicit_names.insert(p.value).second) {
          fail(fmt::format("duplicate element name '{}'", p.value), p.value_pos, p.value_len);
        }
        e.name = p.value;
      }
    }
    std::map<std::string, std::size_t> next_index;
    for (auto& e : elements_) {
      if (!e.name.empty()) continue;
      std::size_t& index = next_index[e.type];
      do {
        e.name = e.type + std::to_string(index++);
      } while (explicit_names.count(e.name) != 0);
    }
    for (const auto& e : elements_) make(e);
  }

  void make(const ElementWord& e) {
    if (!registry_.contains(e.type)) {
      fail(fmt::format("no element type '{}'{}", e.type, hint(e.type, registry_.names())), e.pos, e.len);
    }
    const ElementInfo& info = registry_.at(e.type).info;
    std::vector<std::string> known;
    for (const auto& spec : info.properties) known.push_back(spec.name);
    known.push_back("name");
    known.push_back("placement");
    known.emplace_back(kSpinProperty);

    PropertyMap properties;
    std::optional<Placement> placement;
    const PropertyWord* placement_word = nullptr;
    std::set<std::string> seen;
    for (const auto& p : e.properties) {
      if (!seen.insert(p.key).second) fail(fmt::format("property '{}' is given twice", p.key), p.pos, p.len);
      if (p.key == "name") continue;
      if (p.key == "placement") {
        placement = parse_placement(p.value);
        if (!placement) {
          fail(fmt::format("unknown placement '{}' (main, thread or process)", p.value), p.value_pos, p.value_len);
        }
        placement_word = &p;
        continue;
      }
      if (p.key == kSpinProperty) {  // the engine's, not the element's
        try {
          parse_spin(e.name, e.type, p.value);
        } catch (const PropertyError& error) {
          fail(error.what(), p.value_pos, p.value_len);
        }
        properties.emplace(p.key, p.value);
        continue;
      }
      const auto spec = std::find_if(info.properties.begin(), info.properties.end(),
                                     [&](const PropertySpec& s) { return s.name == p.key; });
      if (spec == info.properties.end()) {
        fail(fmt::format("element type '{}' has no property '{}'{}", e.type, p.key, hint(p.key, known)), p.pos,
             p.key.size());
      }
      try {  // one at a time, so the caret lands on the bad value
        Properties::parse(e.name, e.type, info.properties, {{p.key, p.value}});
      } catch (const PropertyError& error) {
        fail(error.what(), p.value_pos, p.value_len);
      }
      properties.emplace(p.key, p.value);
    }
    if (force_) {
      // The element's own placements are only known once one is made: ask a throwaway instance.
      std::vector<Placement> allowed;
      try {
        PropertyMap own = properties;
        own.erase(std::string(kSpinProperty));  // the engine's, not the element's
        allowed = registry_.make(e.type, e.name, own)->placements();
      } catch (const ElementError&) {
        throw;  // the element's constructor failed: not a mistake in the description
      } catch (const Error& error) {
        fail(error.what(), e.pos, e.len);
      }
      placement = force_;
      placement_word = nullptr;
      if (std::find(allowed.begin(), allowed.end(), *force_) == allowed.end() && !allowed.empty()) {
        const auto local = std::find_if(allowed.begin(), allowed.end(), [](Placement p) { return p != Placement::Process; });
        placement = local != allowed.end() ? *local : allowed.front();
      }
    }
    try {
      pipeline_.add(e.type, e.name, properties, placement);
    } catch (const ElementError&) {
      throw;  // the element's constructor failed: not a mistake in the description
    } catch (const Error& error) {
      fail(error.what(), e.pos, e.len);
    }
    if (placement_word) {
      const auto allowed = pipeline_.element(e.name).placements();
      if (std::find(allowed.begin(), allowed.end(), *placement) == allowed.end()) {
        std::vector<std::string> names;
        for (auto a : allowed) names.emplace_back(to_string(a));
        fail(fmt::format("element '{}' ({}) cannot run in placement '{}' (it supports: {})", e.name, e.type,
                         to_string(*placement), fmt::join(names, ", ")),
             placement_word->value_pos, placement_word->value_len);
      }
    }
  }

  // Pass 2b: resolve each link's pads and make it.
  void make_links() {
    std::vector<std::string> names;
    for (const auto& e : elements_) names.push_back(e.name);
    std::set<std::pair<std::string, std::string>> linked_outputs, linked_inputs;
    for (const LinkWord& link : links_) {
      const std::string from = element_of(link.from, names);
      const std::string to = element_of(link.to, names);
      const std::string from_pad = pad_of(link.from, from, true, linked_outputs);
      const std::string to_pad = pad_of(link.to, to, false, linked_inputs);
      try {
        pipeline_.link(from + ":" + from_pad, to + ":" + to_pad);
      } catch (const Error& error) {
        fail(error.what(), link.bang);
      }
      linked_outputs.insert({from, from_pad});
      linked_inputs.insert({to, to_pad});
    }
  }

  std::string element_of(const NodeWord& n, const std::vector<std::string>& names) const {
    if (n.element) return elements_[*n.element].name;
    if (std::find(names.begin(), names.end(), n.ref) == names.end()) {
      fail(fmt::format("no element named '{}' in the description{}", n.ref, hint(n.ref, names)), n.pos,
           n.ref.size());
    }
    return n.ref;
  }

  std::string pad_of(const NodeWord& n, const std::string& element, bool output,
                     const std::set<std::pair<std::string, std::string>>& linked) const {
    const Element& e = pipeline_.element(element);
    const auto& pads = output ? e.outputs() : e.inputs();
    const char* kind = output ? "output" : "input";
    std::vector<std::string> pad_names;
    for (const auto& p : pads) pad_names.push_back(p.name);
    if (pads.empty() || !n.pad.empty()) {
      try {
        (void)(output ? e.output_index(n.pad) : e.input_index(n.pad));
      } catch (const ValidationError& error) {
        if (pads.empty()) fail(error.what(), n.pos, n.len);
        fail(error.what(), n.pos + n.ref.size() + 1, n.pad.size());
      }
      if (!output && linked.count({element, n.pad}) != 0) {
        fail(fmt::format("input pad {}:{} is already linked", element, n.pad), n.pos, n.len);
      }
      return n.pad;
    }
    if (output && pads.size() == 1) return pads.front().name;  // fan-out from the only output
    for (const auto& p : pads) {
      if (linked.count({element, p.name}) == 0) return p.name;
    }
    fail(fmt::format("every {} pad of element '{}' ({}) is already linked{}", kind, element, fmt::join(pad_names, ", "),
                     output ? fmt::format(": name one as '{}.<pad>'", element) : std::string()),
         n.pos, n.len);
  }

  std::string_view d_;
  Pipeline pipeline_;
  const Registry& registry_;
  std::vector<ElementWord> elements_;
  std::vector<LinkWord> links_;
  std::optional<Placement> force_;
};

bool needs_quotes(std::string_view value) {
  return std::any_of(value.begin(), value.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) || c == '!'; });
}

}  // namespace

Pipeline parse_launch(std::string_view description, PipelineOptions options, std::optional<Placement> force_placement) {
  return Parser(description, std::move(options), force_placement).run();
}

std::string join_launch_args(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    const std::size_t eq = word.find('=');
    const bool property = eq != npos && eq > 0 &&
                          std::none_of(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(eq), [](char c) {
                            return std::isspace(static_cast<unsigned char>(c)) || c == '!' || c == '"' ||
                                   c == '\'';
                          });
    const std::string_view value = property ? std::string_view(word).substr(eq + 1) : std::string_view();
    if (!property || !needs_quotes(value) || value.front() == '"' || value.front() == '\'') {
      out += word;
      continue;
    }
    out += word.substr(0, eq + 1);
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

}  // namespace sgn
