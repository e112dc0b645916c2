"""Edge gateway: readers and sensors → kernels → durable outbox → MQTT transport."""
