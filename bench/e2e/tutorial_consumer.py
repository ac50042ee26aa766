#!/usr/bin/python3
# File: bench/e2e/tutorial_consumer.py
# The consumer of the FeatureBase "streaming from Apache Kafka" tutorial
# (the FeatureBase tutorial "streaming from Apache Kafka", "Full Code Sample", consumer_thread and
# on_message), kept line for line so the benchmark compares sluice with what the tutorial
# actually does: confluent_kafka Consumer, poll(0.1), a batch flushed every 1 s or when it holds
# more than 500 messages (500 per request), one requests.post per batch with the body
# json.dumps({"records": [{"value": json.loads(msg)}, ...]}), print(content) per message.
#
# Changes, all outside the tutorial's loop logic:
#  - broker, topic, endpoint and expected count come from the command line; no Faker producer
#    thread (the topic is preloaded) and no FeatureBase login (the sink needs none; a fixed
#    placeholder token is sent in the Authorization header as the tutorial does);
#  - the loop stops once it has consumed --expected messages and its batch is empty (the
#    tutorial runs forever);
#  - counters and timestamps, printed as one JSON line on stderr at the end.
# Kept as in the tutorial, on purpose: when a flush happens, the message returned by that
# iteration's poll() is never added to a batch (the `continue` skips it), so the tutorial loses
# about one message per request. "posted" counts what was sent, "lost" the difference.
#
# Uses Debian's python3-confluent-kafka and python3-requests (run with /usr/bin/python3).
import argparse
import json
import sys
import time
import uuid

import requests
from confluent_kafka import Consumer, KafkaError, KafkaException

STATS = {"consumed": 0, "posted": 0, "requests": 0, "first_consumed_at": None, "last_answer_at": None}


def on_message(batch, token, endpoint):
  count = len(batch)
  print(f'  Sending {count} records to FeatureBase.')
  records = map(lambda record : { 'value' : json.loads(record) }, batch)
  payload = { 'records' : list(records) }
  payload = json.dumps(payload)

  response = requests.post(
    url     = endpoint,
    data    = payload,
    headers = {
      'Authorization' : f'Bearer {token}',
      'Content-Type'  : 'application/json'
    })

  if response.status_code != 200:
    print(response.text)

  response.raise_for_status()
  STATS["posted"] += count
  STATS["requests"] += 1
  STATS["last_answer_at"] = time.time()


def error_cb(err):
    print("Client error: {}".format(err))
    if err.code() == KafkaError._ALL_BROKERS_DOWN or \
       err.code() == KafkaError._AUTHENTICATION:
        raise KafkaException(err)


def consumer_thread(token, broker, topics, endpoint, expected):
  consumer = Consumer({
      'bootstrap.servers': broker,
      'group.id'         : str(uuid.uuid1()),
      'auto.offset.reset': 'earliest',
      'error_cb'         : error_cb,
  })

  consumer.subscribe(topics)

  batch = []
  prior = time.time()

  try:
    print('starting consumer loop')
    while True:
        # Benchmark stop condition (the tutorial loops forever).
        if STATS["consumed"] >= expected and not batch:
          break
        now = time.time()
        msg = consumer.poll(0.1)  # Wait for message or event/error
        if msg is not None and not msg.error():
          STATS["consumed"] += 1
          if STATS["first_consumed_at"] is None:
            STATS["first_consumed_at"] = time.time()
        BATCH_SIZE_LIMIT = 500
        batch_size = len(batch)
        if (now - prior > 1 or batch_size > BATCH_SIZE_LIMIT) and batch_size > 0:
          on_message(batch[:BATCH_SIZE_LIMIT], token, endpoint)
          batch = batch[BATCH_SIZE_LIMIT:]
          prior = now
          continue
        if msg is None:
            continue
        if msg.error():
            print('Consumer error: {}'.format(msg.error()))
            continue

        content = msg.value()
        batch.append(content)
        print(content)

  except KeyboardInterrupt:
      pass

  finally:
      consumer.close()


def main():
  started = time.time()
  ap = argparse.ArgumentParser(description=__doc__)
  ap.add_argument("--brokers", required=True)
  ap.add_argument("--topic", required=True)
  ap.add_argument("--url", required=True, help="ingest endpoint (POST)")
  ap.add_argument("--expected", type=int, required=True, help="stop after consuming this many")
  args = ap.parse_args()
  consumer_thread("placeholder-token", args.brokers, [args.topic], args.url, args.expected)
  ended = time.time()
  first = STATS["first_consumed_at"] or ended
  last = STATS["last_answer_at"] or ended
  streaming_s = max(last - first, 1e-9)
  run_s = max(ended - started, 1e-9)
  report = {
    "consumed": STATS["consumed"], "posted": STATS["posted"], "lost": STATS["consumed"] - STATS["posted"],
    "requests": STATS["requests"], "streaming_seconds": streaming_s, "run_seconds": run_s,
    "streaming_records_per_s": STATS["posted"] / streaming_s, "run_records_per_s": STATS["posted"] / run_s,
  }
  sys.stderr.write(json.dumps(report) + "\n")
  return 0 if STATS["consumed"] >= args.expected else 1


if __name__ == "__main__":
  sys.exit(main())
