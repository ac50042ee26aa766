// ResolveKafkaProperties / CheckKafkaProperties / HideValue: precedence of [kafka] table,
// environment and -X; "@PATH" and *_FILE values; errors that name property and path but never
// a value.
#include "app/config/kafka_properties.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace sluice::cli {
namespace {

constexpr const char* kSecret = "s3cr3t-VALUE-991";

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/sluice-kprop-XXXXXX";
    const int fd = mkstemp(tmpl);
    close(fd);
    path_ = tmpl;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const KafkaProperty* Find(const std::vector<KafkaProperty>& props, const std::string& name) {
  for (const KafkaProperty& p : props) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

TEST(ResolveKafkaProperties, CommandLineWinsOverEnvironmentWhichWinsOverTheFile) {
  auto props = ResolveKafkaProperties(
      {{"client.id", "file"}, {"socket.timeout.ms", "1000"}, {"linger.ms", "7"}},
      {"SLUICE_KAFKA_CLIENT_ID=env", "SLUICE_KAFKA_SOCKET_TIMEOUT_MS=2000", "PATH=/bin"}, {"socket.timeout.ms=3000"});
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  ASSERT_EQ(props->size(), 3u);
  EXPECT_EQ(Find(*props, "client.id")->value, "env");
  EXPECT_EQ(Find(*props, "client.id")->origin, "SLUICE_KAFKA_CLIENT_ID");
  EXPECT_EQ(Find(*props, "socket.timeout.ms")->value, "3000");
  EXPECT_EQ(Find(*props, "socket.timeout.ms")->origin, "-X");
  EXPECT_EQ(Find(*props, "linger.ms")->value, "7");
}

TEST(ResolveKafkaProperties, AtPathReadsTheFileAndStripsOneTrailingNewline) {
  TempFile one(std::string(kSecret) + "\n");
  TempFile two(std::string(kSecret) + "\n\n");
  TempFile pem("-----BEGIN-----\nabc\n-----END-----\r\n");
  auto props = ResolveKafkaProperties({{"ssl.key.pem", "@" + pem.path()}}, {},
                                      {"sasl.password=@" + one.path(), "ssl.key.password=@" + two.path()});
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  EXPECT_EQ(Find(*props, "sasl.password")->value, kSecret);
  EXPECT_EQ(Find(*props, "ssl.key.password")->value, std::string(kSecret) + "\n");
  EXPECT_EQ(Find(*props, "ssl.key.pem")->value, "-----BEGIN-----\nabc\n-----END-----");
}

TEST(ResolveKafkaProperties, FileVariableNamesThePropertyWithDotsForUnderscores) {
  TempFile f(std::string(kSecret) + "\n");
  auto props = ResolveKafkaProperties({}, {"SLUICE_KAFKA_SASL_PASSWORD_FILE=" + f.path()}, {});
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  ASSERT_EQ(props->size(), 1u);
  EXPECT_EQ(props->front().name, "sasl.password");
  EXPECT_EQ(props->front().value, kSecret);
  EXPECT_EQ(props->front().origin, "SLUICE_KAFKA_SASL_PASSWORD_FILE");
}

TEST(ResolveKafkaProperties, MissingFileNamesPropertyAndPathNotTheValue) {
  auto flag = ResolveKafkaProperties({}, {}, {"sasl.password=@/no/such/secret"});
  ASSERT_FALSE(flag.ok());
  EXPECT_EQ(flag.status().code(), StatusCode::kNotFound);
  EXPECT_NE(flag.status().message().find("sasl.password"), std::string::npos);
  EXPECT_NE(flag.status().message().find("/no/such/secret"), std::string::npos);

  auto env = ResolveKafkaProperties({}, {"SLUICE_KAFKA_SASL_PASSWORD_FILE=/no/such/file"}, {});
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("SLUICE_KAFKA_SASL_PASSWORD_FILE"), std::string::npos);
  EXPECT_NE(env.status().message().find("/no/such/file"), std::string::npos);
}

TEST(ResolveKafkaProperties, BothEnvironmentFormsForOnePropertyAreRefused) {
  TempFile f("x\n");
  auto props = ResolveKafkaProperties(
      {}, {std::string("SLUICE_KAFKA_SASL_PASSWORD=") + kSecret, "SLUICE_KAFKA_SASL_PASSWORD_FILE=" + f.path()}, {});
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(props.status().message().find(kSecret), std::string::npos);
}

TEST(ResolveKafkaProperties, FlagWithoutNameIsRefusedWithoutEchoingIt) {
  auto props = ResolveKafkaProperties({}, {}, {kSecret});
  ASSERT_FALSE(props.ok());
  EXPECT_EQ(props.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(props.status().message().find(kSecret), std::string::npos);
}

TEST(CheckKafkaProperties, NamesThePropertyAndHidesTheValue) {
  Status bad = CheckKafkaProperties({{"socket.timeout.ms", kSecret, "-X"}});
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("socket.timeout.ms"), std::string::npos) << bad.message();
  EXPECT_EQ(bad.message().find(kSecret), std::string::npos) << bad.message();

  Status unknown = CheckKafkaProperties({{"no.such.password", kSecret, "[kafka] table"}});
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("no.such.password"), std::string::npos);
  EXPECT_EQ(unknown.message().find(kSecret), std::string::npos);

  EXPECT_TRUE(CheckKafkaProperties({{"socket.timeout.ms", "45000", "-X"}, {"sasl.password", kSecret, "-X"}}).ok());
}

TEST(DescribeKafkaProperties, RedactsSecretValues) {
  const std::string text = DescribeKafkaProperties({{"client.id", "me", "-X"},
                                                    {"sasl.password", kSecret, "-X"},
                                                    {"sasl.jaas.config", kSecret, "-X"},
                                                    {"sasl.oauthbearer.client.id", kSecret, "-X"},
                                                    {"ssl.key.pem", kSecret, "-X"}});
  EXPECT_NE(text.find("client.id=me  (-X)"), std::string::npos) << text;
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
}

TEST(HideValue, ReplacesWholeWordsOutsideTheName) {
  EXPECT_EQ(
      HideValue("Invalid value \"abc\" for configuration property \"socket.timeout.ms\"", "socket.timeout.ms", "abc"),
      "Invalid value \"[value not shown]\" for configuration property \"socket.timeout.ms\"");
  // "ms" occurs inside the name and inside "items": neither is the value.
  EXPECT_EQ(HideValue("property \"socket.timeout.ms\": ms items", "socket.timeout.ms", "ms"),
            "property \"socket.timeout.ms\": [value not shown] items");
}

}  // namespace
}  // namespace sluice::cli
