/* Map-element iterator (iter/bpf_map_elem): the context is (meta, map, key, value); key and
 * value are NULL on the final call. Writes every u32 key and u64 value to the seq_file. */
#include "bpf_types.h"

struct bpf_iter__bpf_map_elem {
	struct bpf_iter_meta *meta;
	void *map;
	void *key;
	void *value;
};

SEC("iter/bpf_map_elem")
int iter_dump_u32_u64(struct bpf_iter__bpf_map_elem *ctx)
{
	struct bpf_iter_meta *meta = ctx->meta;
	u32 *key = ctx->key;
	u64 *value = ctx->value;
	struct {
		u32 key;
		u32 pad;
		u64 value;
	} line;

	if (!key || !value)
		return 0;
	line.key = *key;
	line.pad = 0;
	line.value = *value;
	bpf_seq_write(meta->seq, &line, sizeof(line));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
