// AuthenticationFailure: which librdkafka error-callback reports end a run at once (wrong SASL
// credentials, a TLS handshake that fails) and which stay transient (a broker that is down).
// The real broker checks the same end to end in tests/real_kafka/authentication_test.cpp.
#include "stages/kafka_source/auth_failure.h"

#include <gtest/gtest.h>

namespace sluice::stages::internal {
namespace {

using Properties = std::vector<std::pair<std::string, std::string>>;

TEST(AuthFailure, ASaslAuthenticationErrorIsFatalAndNamesTheCredentials) {
  Status s =
      AuthenticationFailure(RD_KAFKA_RESP_ERR__AUTHENTICATION,
                            "sasl_ssl://b:9093/bootstrap: SASL authentication error: Invalid username or password",
                            {{"sasl.mechanism", "PLAIN"}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.message().find("sasl.password"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("Invalid username or password"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("2.6.1"), std::string::npos) << "no SCRAM note for PLAIN: " << s.message();
}

TEST(AuthFailure, ScramOnALibrdkafkaOlderThan261CarriesTheNote) {
  Status s = AuthenticationFailure(RD_KAFKA_RESP_ERR__AUTHENTICATION, "invalid credentials",
                                   {{"sasl.mechanisms", "SCRAM-SHA-512"}});
  ASSERT_FALSE(s.ok());
  const bool old = rd_kafka_version() < 0x020601ff;
  EXPECT_EQ(s.message().find("librdkafka 2.6.1") != std::string::npos, old) << s.message();
}

TEST(AuthFailure, TlsHandshakeFailuresAreFatalAndNameTheCa) {
  for (const auto& [err, reason] : std::vector<std::pair<rd_kafka_resp_err_t, std::string>>{
           {RD_KAFKA_RESP_ERR__SSL, "ssl://b:9093/bootstrap: SSL handshake failed: certificate verify failed"},
           {RD_KAFKA_RESP_ERR__TRANSPORT,
            "ssl://b:9093/bootstrap: error:0A000086:SSL routines::certificate verify failed"},
           {RD_KAFKA_RESP_ERR__TRANSPORT, "ssl://b:9093/bootstrap: SSL handshake failed: wrong version number"}}) {
    Status s = AuthenticationFailure(err, reason, Properties{});
    ASSERT_FALSE(s.ok()) << reason;
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
    EXPECT_NE(s.message().find("ssl.ca.location"), std::string::npos) << s.message();
  }
}

TEST(AuthFailure, ABrokerThatIsDownStaysTransient) {
  EXPECT_TRUE(AuthenticationFailure(RD_KAFKA_RESP_ERR__TRANSPORT,
                                    "b:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused", {})
                  .ok());
  EXPECT_TRUE(AuthenticationFailure(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down", {}).ok());
  EXPECT_TRUE(AuthenticationFailure(RD_KAFKA_RESP_ERR__RESOLVE, "Failed to resolve 'nowhere:9092'", {}).ok());
}

}  // namespace
}  // namespace sluice::stages::internal
