"""The benchmarks: throughput and cost of the pipeline, the services and the relay, against the local stack."""
