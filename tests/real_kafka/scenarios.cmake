# Included by tests/real_kafka/CMakeLists.txt: consumer groups, broker failover and the large
# backlog against a real Kafka cluster (one per test binary, tests/testing/kafka_cluster.h).
#   real-kafka       in the default ctest run;
#   real-kafka-long  the 5,000,000-record backlog: excluded from the default run by .ci/run
#                    (ctest -LE real-kafka-long) and run as a stage of its own.
add_library(sluice_real_kafka_scenario_env STATIC scenario_env.cpp broker_admin.cpp)
target_include_directories(sluice_real_kafka_scenario_env PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(sluice_real_kafka_scenario_env PUBLIC sluice_test_kafka_cluster sluice::test_process_env
  PkgConfig::RDKAFKA GTest::gtest)

# no-tsan: librdkafka threads (see tests/integration/CMakeLists.txt).
sluice_add_process_test(real_kafka_groups_test SOURCES groups_test.cpp
  LIBS sluice_real_kafka_scenario_env sluice_integration_env LABELS "real-kafka;slow;no-tsan" TIMEOUT 600
  NEEDS ${SLUICE_REAL_KAFKA_EXECUTABLES})

# Three nodes, replication factor 3, min.insync.replicas=2; the leader of half the partitions
# stopped mid-run for at least 10 s.
sluice_add_process_test(real_kafka_failover_test SOURCES failover_test.cpp
  LIBS sluice_real_kafka_scenario_env sluice_integration_env LABELS "real-kafka;slow;no-tsan" TIMEOUT 600
  NEEDS ${SLUICE_REAL_KAFKA_EXECUTABLES})

# 5,000,000 records (~1.8 GB) on 16 partitions through a stalled, then recovering sink within
# --memory-budget 256MiB. Label real-kafka-long only: the default run leaves it out.
sluice_add_process_test(real_kafka_backlog_test SOURCES backlog_test.cpp
  LIBS sluice_real_kafka_scenario_env sluice_integration_env LABELS "real-kafka-long;slow;no-tsan" TIMEOUT 1800
  NEEDS ${SLUICE_REAL_KAFKA_EXECUTABLES})
