#include "stages/dead_letter/make_dead_letter_sink.h"

#include "stages/dead_letter/file_dead_letter_sink.h"
#include "stages/dead_letter/kafka_dead_letter_sink.h"

namespace sluice::stages {

StatusOr<std::unique_ptr<DeadLetterSink>> MakeDeadLetterSink(
    std::string_view spec, const std::string& brokers,
    const std::vector<std::pair<std::string, std::string>>& kafka_props) {
  constexpr std::string_view kFile = "file:";
  constexpr std::string_view kKafka = "kafka:";
  if (spec.substr(0, kFile.size()) == kFile) {
    auto sink = FileDeadLetterSink::Create(std::string(spec.substr(kFile.size())));
    if (!sink.ok()) return sink.status();
    return std::unique_ptr<DeadLetterSink>(std::move(sink).value());
  }
  if (spec.substr(0, kKafka.size()) == kKafka) {
    KafkaDeadLetterConfig config;
    config.brokers = brokers;
    config.topic = std::string(spec.substr(kKafka.size()));
    config.properties = kafka_props;
    auto sink = KafkaDeadLetterSink::Create(config);
    if (!sink.ok()) return sink.status();
    return std::unique_ptr<DeadLetterSink>(std::move(sink).value());
  }
  return InvalidArgument("dead-letter spec \"" + std::string(spec) +
                         "\" is not understood: use file:PATH or kafka:TOPIC");
}

}  // namespace sluice::stages
