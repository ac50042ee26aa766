#include "app/version/version_info.h"

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <oneapi/tbb/version.h>
#include <simdjson.h>

// app/CMakeLists.txt defines both for this file only, so a new commit recompiles one file.
#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif
#ifndef SLUICE_GIT_COMMIT
#define SLUICE_GIT_COMMIT "unknown"
#endif

#define SLUICE_STRINGIFY_AUX(x) #x
#define SLUICE_STRINGIFY(x) SLUICE_STRINGIFY_AUX(x)

namespace sluice::cli {

const char* SluiceVersion() { return SLUICE_VERSION; }

const char* SluiceCommit() { return SLUICE_GIT_COMMIT; }

std::string VersionText() {
  std::string text;
  text += "sluice " SLUICE_VERSION " (commit " SLUICE_GIT_COMMIT ")\n";
  text += std::string("librdkafka ") + rd_kafka_version_str() + "\n";
  // simdjson has no runtime version call: this is the version of the headers sluice was compiled
  // with (Debian's libsimdjson-dev and its shared library come from one source package).
  text += "simdjson " SLUICE_STRINGIFY(SIMDJSON_VERSION) " (headers)\n";
  text += std::string("oneTBB ") + TBB_runtime_version() + " (headers " TBB_VERSION_STRING ")\n";
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  text += std::string("libcurl ") + (curl && curl->version ? curl->version : "unknown");
  if (curl && curl->ssl_version) text += std::string(" (") + curl->ssl_version + ")";
  text += "\n";
  return text;
}

std::vector<std::pair<std::string, std::string>> VersionFields() {
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  return {{"version", SLUICE_VERSION},
          {"commit", SLUICE_GIT_COMMIT},
          {"librdkafka", rd_kafka_version_str()},
          {"simdjson", SLUICE_STRINGIFY(SIMDJSON_VERSION)},
          {"onetbb", TBB_runtime_version()},
          {"libcurl", curl && curl->version ? curl->version : "unknown"}};
}

}  // namespace sluice::cli
