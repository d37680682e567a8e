#!/bin/sh
# Create Conveyor's topics if they do not exist; one script for Compose and Kubernetes.
# Run inside the apache/kafka image. Settings (environment):
#   BOOTSTRAP_SERVERS   host:port[,host:port]           (required)
#   PARTITIONS          partitions of a new topic       (default 12: the largest planned
#                       consumer group; docs/topics.md says why)
#   REPLICATION_FACTOR  replicas of each partition      (default 3; 1 on a one-broker cluster)
#   MIN_INSYNC_REPLICAS acknowledgements acks=all waits for (default 2; 1 on one broker)
#   DEAD_LETTER_RETENTION_MS  how long dead letters are kept (default 30 days)
#   BUS_NAMESPACE       the namespace of the services' bus URL (kafka://...?namespace=NAME),
#                       if they use one: topics are made as NAME.<topic> (default: none)
# An existing topic is left as it is: adding partitions moves keys (docs/topics.md).
set -eu
: "${BOOTSTRAP_SERVERS:?set BOOTSTRAP_SERVERS}"
PARTITIONS=${PARTITIONS:-12}
REPLICATION_FACTOR=${REPLICATION_FACTOR:-3}
MIN_INSYNC_REPLICAS=${MIN_INSYNC_REPLICAS:-2}
DEAD_LETTER_RETENTION_MS=${DEAD_LETTER_RETENTION_MS:-2592000000}
KAFKA_TOPICS=${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}
PREFIX=${BUS_NAMESPACE:+$BUS_NAMESPACE.}

# The event topics (conveyor.events.catalogue.topics), then each consumer group's dead letters.
TOPICS="conveyor.leads.v1 conveyor.reps.v1 conveyor.assignments.v1 conveyor.deals.v1
conveyor.followups.v1
conveyor.intake.dlq conveyor.router.dlq conveyor.router.kpis.dlq conveyor.followup.dlq"

for topic in $TOPICS; do
  case $topic in
    *.dlq) retention="retention.ms=$DEAD_LETTER_RETENTION_MS" ;;
    *) retention="retention.ms=-1" ;;
  esac
  "$KAFKA_TOPICS" --bootstrap-server "$BOOTSTRAP_SERVERS" --create --if-not-exists \
    --topic "$PREFIX$topic" --partitions "$PARTITIONS" \
    --replication-factor "$REPLICATION_FACTOR" \
    --config "min.insync.replicas=$MIN_INSYNC_REPLICAS" --config "$retention"
  echo "topic $PREFIX$topic: present"
done
