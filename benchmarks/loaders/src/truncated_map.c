/* A genuinely broken legacy object: its SEC("maps") definition has only type, key and value
 * sizes (12 bytes), so no loader can know max_entries. The loader must refuse it with an
 * error that names the map; it is listed as genuine in tests/loaders.rs. */
#include "bpf_corpus.h"

struct short_map_def {
	u32 type;
	u32 key_size;
	u32 value_size;
};

struct short_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(u32),
	.value_size = sizeof(u64),
};

SEC("socket")
int count_packets(struct __sk_buff *skb)
{
	u32 key = 0;
	u64 *count = bpf_map_lookup_elem(&counts, &key);

	if (count)
		*count += 1;
	return 0;
}

char _license[] SEC("license") = "GPL";
