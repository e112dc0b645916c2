"""Reader drivers: each turns a device's wire protocol into batches of raw reads."""
