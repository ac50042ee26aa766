#include "app/config/kafka_properties.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "stages/kafka_source/kafka_source_config.h"

extern char** environ;

namespace sluice::cli {
namespace {

constexpr std::string_view kFileSuffix = "_FILE";

/// The file's whole content, one trailing newline (LF or CRLF) removed: a secret written with
/// `echo` works, and multi-line values (PEM keys) keep their inner newlines.
StatusOr<std::string> ReadValueFile(const std::string& path, const std::string& origin, const std::string& name) {
  if (path.empty()) {
    return InvalidArgument(origin + ": property \"" + name + "\": \"@\" must be followed by a file path");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return NotFound(origin + ": property \"" + name + "\": cannot read the value file " + path +
                    (err != 0 ? std::string(" (") + std::strerror(err) + ")" : std::string()));
  }
  std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return NotFound(origin + ": property \"" + name + "\": cannot read the value file " + path);
  if (!value.empty() && value.back() == '\n') {
    value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
  }
  return value;
}

/// A value given inline: "@PATH" is read from PATH, anything else is the value itself.
StatusOr<std::string> InlineValue(const std::string& value, const std::string& origin, const std::string& name) {
  if (!value.empty() && value.front() == '@') return ReadValueFile(value.substr(1), origin, name);
  return value;
}

/// SLUICE_KAFKA_SASL_PASSWORD -> sasl.password (librdkafka names are lower case, dot-separated).
std::string PropertyFromEnvName(std::string_view rest) {
  std::string name;
  name.reserve(rest.size());
  for (char c : rest) name += c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

void Put(std::vector<KafkaProperty>& into, KafkaProperty p) {
  for (KafkaProperty& q : into) {
    if (q.name == p.name) {
      q = std::move(p);
      return;
    }
  }
  into.push_back(std::move(p));
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-'; }

}  // namespace

std::string HideValue(std::string text, const std::string& name, const std::string& value) {
  if (value.empty()) return text;
  static constexpr std::string_view kHidden = "[value not shown]";
  // Occurrences of the value inside the property's own name stay (a value "ms" must not eat
  // "socket.timeout.ms"); everything else that matches as a whole word goes.
  std::vector<std::pair<size_t, size_t>> name_spans;
  for (size_t at = name.empty() ? std::string::npos : text.find(name); at != std::string::npos;
       at = text.find(name, at + name.size())) {
    name_spans.emplace_back(at, at + name.size());
  }
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t at = text.find(value, pos);
    if (at == std::string::npos) break;
    const size_t end = at + value.size();
    bool in_name = false;
    for (const auto& [b, e] : name_spans) in_name = in_name || (at >= b && end <= e);
    const bool whole = (at == 0 || !IsWordChar(text[at - 1]) || !IsWordChar(value.front())) &&
                       (end == text.size() || !IsWordChar(text[end]) || !IsWordChar(value.back()));
    out.append(text, pos, at - pos);
    if (!in_name && whole) out += kHidden;
    else out.append(text, at, value.size());
    pos = end;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

StatusOr<std::vector<KafkaProperty>> ResolveKafkaProperties(
    const std::vector<std::pair<std::string, std::string>>& config_table, const std::vector<std::string>& environment,
    const std::vector<std::string>& flags) {
  std::vector<KafkaProperty> out;
  for (const auto& [name, raw] : config_table) {
    const std::string origin = "--config [kafka] table";
    StatusOr<std::string> value = InlineValue(raw, origin, name);
    if (!value.ok()) return value.status();
    Put(out, {name, std::move(*value), origin});
  }

  // Environment: plain variables and *_FILE variables; naming one property both ways is an error
  // (which one was meant is unclear).
  const std::string_view prefix = kKafkaEnvPrefix;
  std::vector<KafkaProperty> from_env;
  for (const std::string& entry : environment) {
    if (entry.compare(0, prefix.size(), prefix) != 0) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string var = entry.substr(0, eq);
    const std::string raw = entry.substr(eq + 1);
    if (raw.empty()) continue;
    std::string_view rest = std::string_view(var).substr(prefix.size());
    const bool is_file = rest.size() > kFileSuffix.size() && rest.substr(rest.size() - kFileSuffix.size()) == kFileSuffix;
    if (is_file) rest.remove_suffix(kFileSuffix.size());
    if (rest.empty()) continue;
    const std::string name = PropertyFromEnvName(rest);
    for (const KafkaProperty& seen : from_env) {
      if (seen.name == name) {
        return InvalidArgument(seen.origin + " and " + var + " both set Kafka property \"" + name +
                               "\": set only one of them");
      }
    }
    StatusOr<std::string> value = is_file ? ReadValueFile(raw, var, name) : InlineValue(raw, var, name);
    if (!value.ok()) return value.status();
    from_env.push_back({name, std::move(*value), var});
  }
  for (KafkaProperty& p : from_env) Put(out, std::move(p));

  for (const std::string& flag : flags) {
    const size_t eq = flag.find('=');
    // The argument is not echoed: without '=' it may well be a value typed in the wrong place.
    if (eq == std::string::npos || eq == 0) return InvalidArgument("-X expects name=value (an argument without a name was given)");
    const std::string name = flag.substr(0, eq);
    StatusOr<std::string> value = InlineValue(flag.substr(eq + 1), "-X", name);
    if (!value.ok()) return value.status();
    Put(out, {name, std::move(*value), "-X"});
  }
  return out;
}

Status CheckKafkaProperties(const std::vector<KafkaProperty>& properties) {
  struct ConfDeleter {
    void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
  };
  std::unique_ptr<rd_kafka_conf_t, ConfDeleter> conf(rd_kafka_conf_new());
  for (const KafkaProperty& p : properties) {
    char errstr[512] = {0};
    const rd_kafka_conf_res_t res = rd_kafka_conf_set(conf.get(), p.name.c_str(), p.value.c_str(), errstr, sizeof(errstr));
    if (res == RD_KAFKA_CONF_OK) continue;
    std::string detail = HideValue(errstr, p.name, p.value);
    if (stages::IsSecretProperty(p.name)) {
      // A secret goes even where it is part of a longer word.
      for (size_t at = detail.find(p.value); !p.value.empty() && at != std::string::npos; at = detail.find(p.value, at)) {
        detail.replace(at, p.value.size(), "[value not shown]");
      }
    }
    if (res == RD_KAFKA_CONF_UNKNOWN) {
      return InvalidArgument(p.origin + ": unknown Kafka property \"" + p.name + "\": " + detail);
    }
    return InvalidArgument(p.origin + ": invalid value for Kafka property \"" + p.name + "\": " + detail);
  }
  return Status::Ok();
}

std::string DescribeKafkaProperties(const std::vector<KafkaProperty>& properties) {
  std::string out;
  for (const KafkaProperty& p : properties) {
    out += "  " + p.name + "=" + (stages::IsSecretProperty(p.name) ? std::string("[redacted]") : p.value) + "  (" +
           p.origin + ")\n";
  }
  return out;
}

}  // namespace sluice::cli
