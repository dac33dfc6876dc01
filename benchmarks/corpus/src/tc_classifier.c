/* tc classifiers: per-flow accounting in a hash map with classes from an array map, and a
 * token-bucket rate limiter keyed by interface. */
#include "bpf_corpus.h"

struct flow_key {
	u32 saddr;
	u32 daddr;
	u16 sport;
	u16 dport;
	u8 proto;
	u8 pad[3];
};

struct flow_stats {
	u64 packets;
	u64 bytes;
	u32 classid;
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u32);
} port_classes SEC(".maps");

struct bucket {
	u64 last_ns;
	u64 tokens;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, struct bucket);
} buckets SEC(".maps");

SEC("tc")
int tc_classify(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	/* TCP and UDP both start with the two ports. */
	u16 *ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 2) > data_end)
		return TC_ACT_OK;

	struct flow_key key = {};
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.sport = bpf_ntohs(ports[0]);
	key.dport = bpf_ntohs(ports[1]);
	key.proto = ip->protocol;

	struct flow_stats *stats = bpf_map_lookup_elem(&flows, &key);
	if (!stats) {
		u32 bucket = key.dport & 7;
		u32 *class = bpf_map_lookup_elem(&port_classes, &bucket);
		struct flow_stats init = { .packets = 1, .bytes = skb->len, .classid = class ? *class : 0 };
		bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);
		return TC_ACT_OK;
	}
	__sync_fetch_and_add(&stats->packets, 1);
	__sync_fetch_and_add(&stats->bytes, skb->len);
	skb->priority = stats->classid;
	return TC_ACT_OK;
}

#define RATE_BYTES_PER_MS 125000
#define BURST_BYTES 1000000

SEC("classifier")
int tc_rate_limit(struct __sk_buff *skb)
{
	u32 ifindex = skb->ifindex;
	u64 now = bpf_ktime_get_ns();
	struct bucket *b = bpf_map_lookup_elem(&buckets, &ifindex);
	if (!b) {
		struct bucket fresh = { .last_ns = now, .tokens = BURST_BYTES };
		bpf_map_update_elem(&buckets, &ifindex, &fresh, BPF_ANY);
		return TC_ACT_OK;
	}
	u64 elapsed_ms = (now - b->last_ns) / 1000000;
	u64 tokens = b->tokens + elapsed_ms * RATE_BYTES_PER_MS;
	if (tokens > BURST_BYTES)
		tokens = BURST_BYTES;
	b->last_ns = now;
	if (tokens < skb->len) {
		b->tokens = tokens;
		return TC_ACT_SHOT;
	}
	b->tokens = tokens - skb->len;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
