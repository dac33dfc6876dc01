/* A large tc classifier in the corpus style, built by tests/proof_logs.rs to check that the
 * proof checker accepts every log `verify` writes for a big real program: it parses headers
 * with bpf_skb_load_bytes and direct packet access, keeps per-flow and per-port state in
 * maps, rewrites addresses and ports with the checksum helpers, and calls many helpers. */
#include "bpf_corpus.h"

static long (*bpf_skb_store_bytes)(void *skb, u32 offset, const void *from, u32 len, u64 flags) = (void *)9;
static long (*bpf_l3_csum_replace)(void *skb, u32 offset, u64 from, u64 to, u64 size) = (void *)10;
static long (*bpf_l4_csum_replace)(void *skb, u32 offset, u64 from, u64 to, u64 flags) = (void *)11;
static s64 (*bpf_csum_diff)(void *from, u32 from_size, void *to, u32 to_size, u32 seed) = (void *)28;
static u32 (*bpf_get_hash_recalc)(void *skb) = (void *)34;
static u32 (*bpf_get_cgroup_classid)(void *skb) = (void *)17;

struct flow_key {
	u32 saddr;
	u32 daddr;
	u16 sport;
	u16 dport;
	u8 proto;
	u8 pad[3];
};

struct flow_state {
	u64 packets;
	u64 bytes;
	u64 first_ns;
	u64 last_ns;
	u32 flags_seen;
	u32 classid;
	u32 nat_addr;
	u16 nat_port;
	u16 pad;
};

struct port_rule {
	u32 action;
	u32 classid;
	u32 rate;
	u32 nat_addr;
	u16 nat_port;
	u16 pad;
};

struct counters {
	u64 seen[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, struct flow_state);
} flow_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct port_rule);
} port_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct counters);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} sources SEC(".maps");

enum verdict_index { SEEN_ALL, SEEN_IP, SEEN_IP6, SEEN_TCP, SEEN_UDP, SEEN_NAT, SEEN_DROP, SEEN_NEW };

static __always_inline void count(u32 which)
{
	u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&stats, &zero);
	if (c && which < 8)
		__sync_fetch_and_add(&c->seen[which], 1);
}

#define IP_CSUM_OFF (sizeof(struct ethhdr) + 10)
#define IP_DST_OFF (sizeof(struct ethhdr) + 16)
#define TCP_CSUM_OFF(l4) ((l4) + 16)
#define UDP_CSUM_OFF(l4) ((l4) + 6)

static __always_inline int rewrite_destination(struct __sk_buff *skb, u32 l4, u8 proto, u32 old_addr,
					       u32 new_addr, u16 old_port, u16 new_port)
{
	u32 csum_off = proto == IPPROTO_TCP ? TCP_CSUM_OFF(l4) : UDP_CSUM_OFF(l4);
	if (bpf_l4_csum_replace(skb, csum_off, old_addr, new_addr, 0x10 | 4) < 0)
		return -1;
	if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_addr, new_addr, 4) < 0)
		return -1;
	if (bpf_skb_store_bytes(skb, IP_DST_OFF, &new_addr, 4, 0) < 0)
		return -1;
	if (new_port && new_port != old_port) {
		if (bpf_l4_csum_replace(skb, csum_off, old_port, new_port, 2) < 0)
			return -1;
		if (bpf_skb_store_bytes(skb, l4 + 2, &new_port, 2, 0) < 0)
			return -1;
	}
	return 0;
}

SEC("tc")
int tc_large(struct __sk_buff *skb)
{
	struct ethhdr eth;
	u32 off = 0;
	count(SEEN_ALL);
	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)) < 0)
		return TC_ACT_OK;
	off = sizeof(eth);
	u16 proto = eth.h_proto;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr vlan;
		if (bpf_skb_load_bytes(skb, off, &vlan, sizeof(vlan)) < 0)
			return TC_ACT_OK;
		proto = vlan.encapsulated_proto;
		off += sizeof(vlan);
	}
	struct flow_key key = {};
	u32 l4;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;
		count(SEEN_IP);
		if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) < 0)
			return TC_ACT_OK;
		if (ip.ihl < 5)
			return TC_ACT_SHOT;
		key.saddr = ip.saddr;
		key.daddr = ip.daddr;
		key.proto = ip.protocol;
		l4 = off + ip.ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;
		count(SEEN_IP6);
		if (bpf_skb_load_bytes(skb, off, &ip6, sizeof(ip6)) < 0)
			return TC_ACT_OK;
		key.saddr = ip6.saddr[12] | ip6.saddr[13] << 8 | ip6.saddr[14] << 16 | (u32)ip6.saddr[15] << 24;
		key.daddr = ip6.daddr[12] | ip6.daddr[13] << 8 | ip6.daddr[14] << 16 | (u32)ip6.daddr[15] << 24;
		key.proto = ip6.nexthdr;
		l4 = off + sizeof(ip6);
	} else {
		return TC_ACT_OK;
	}

	u8 tcp_flags = 0;
	if (key.proto == IPPROTO_TCP) {
		struct tcphdr tcp;
		count(SEEN_TCP);
		if (bpf_skb_load_bytes(skb, l4, &tcp, sizeof(tcp)) < 0)
			return TC_ACT_OK;
		key.sport = bpf_ntohs(tcp.source);
		key.dport = bpf_ntohs(tcp.dest);
		tcp_flags = tcp.fin | tcp.syn << 1 | tcp.rst << 2 | tcp.ack << 4;
	} else if (key.proto == IPPROTO_UDP) {
		struct udphdr udp;
		count(SEEN_UDP);
		if (bpf_skb_load_bytes(skb, l4, &udp, sizeof(udp)) < 0)
			return TC_ACT_OK;
		key.sport = bpf_ntohs(udp.source);
		key.dport = bpf_ntohs(udp.dest);
	} else {
		return TC_ACT_OK;
	}

	/* Direct packet access for the first bytes, as many classifiers mix both styles. */
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	u8 first = 0;
	if (data + 14 <= data_end)
		first = ((u8 *)data)[13];

	u32 rule_index = key.dport & 1023;
	struct port_rule *rule = bpf_map_lookup_elem(&port_rules, &rule_index);
	if (rule && rule->action == 1) {
		count(SEEN_DROP);
		return TC_ACT_SHOT;
	}

	u64 now = bpf_ktime_get_ns();
	u32 source = key.saddr;
	u64 *last_seen = bpf_map_lookup_elem(&sources, &source);
	if (last_seen) {
		if (rule && rule->rate && now - *last_seen < rule->rate)
			return TC_ACT_SHOT;
		*last_seen = now;
	} else {
		bpf_map_update_elem(&sources, &source, &now, BPF_ANY);
	}

	struct flow_state *state = bpf_map_lookup_elem(&flow_table, &key);
	if (!state) {
		struct flow_state init = {
			.packets = 1,
			.bytes = skb->len,
			.first_ns = now,
			.last_ns = now,
			.flags_seen = tcp_flags | first << 8,
			.classid = rule ? rule->classid : bpf_get_cgroup_classid(skb),
			.nat_addr = rule ? rule->nat_addr : 0,
			.nat_port = rule ? rule->nat_port : 0,
		};
		count(SEEN_NEW);
		if (bpf_map_update_elem(&flow_table, &key, &init, BPF_NOEXIST) < 0)
			return TC_ACT_OK;
		state = bpf_map_lookup_elem(&flow_table, &key);
		if (!state)
			return TC_ACT_OK;
	} else {
		__sync_fetch_and_add(&state->packets, 1);
		__sync_fetch_and_add(&state->bytes, skb->len);
		state->last_ns = now;
		state->flags_seen |= tcp_flags;
	}
	if (tcp_flags & 4) {
		bpf_map_delete_elem(&flow_table, &key);
		return TC_ACT_OK;
	}

	skb->tc_classid = state->classid;
	skb->mark = bpf_get_hash_recalc(skb);
	if (state->nat_addr && key.proto != 0 && proto == bpf_htons(ETH_P_IP)) {
		u32 from[2] = { key.daddr, key.dport };
		u32 to[2] = { state->nat_addr, state->nat_port };
		s64 diff = bpf_csum_diff(from, sizeof(from), to, sizeof(to), 0);
		skb->cb[0] = (u32)diff;
		count(SEEN_NAT);
		if (rewrite_destination(skb, l4, key.proto, key.daddr, state->nat_addr, bpf_htons(key.dport),
					bpf_htons(state->nat_port)) < 0)
			return TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}

/* A second program of the same object so that a log covers more than one. */
SEC("tc")
int tc_large_egress(struct __sk_buff *skb)
{
	u8 buf[64];
	u32 len = skb->len;
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (len < 1)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, 0, buf, len) < 0)
		return TC_ACT_OK;
	s64 sum = bpf_csum_diff(NULL, 0, (void *)buf, len & ~3u, 0);
	skb->cb[1] = (u32)sum;
	count(SEEN_ALL);
	return TC_ACT_OK;
}

/* A helper call with one argument proven and another not: its log carries a proven and an
 * unknown helper-argument obligation at the same pc. */
SEC("tc")
int tc_large_partial(struct __sk_buff *skb)
{
	u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&stats, &zero);
	if (!c)
		return TC_ACT_OK;
	u32 len = skb->len & 63;
	bpf_skb_load_bytes(skb, 0, c->seen, len);
	return TC_ACT_OK;
}

/* Handlers called through a constant table in a loop the analyzer unrolls: each round's
 * callx resolves to another subprogram, and the log lists their union. A second loop loads
 * the packet word by word, so its helper checks differ between rounds. */
static __noinline int mark_low(struct __sk_buff *skb)
{
	skb->mark |= 1;
	return 1;
}

static __noinline int mark_high(struct __sk_buff *skb)
{
	skb->mark |= 2;
	return 2;
}

static int (*const handlers[2])(struct __sk_buff *) = { mark_low, mark_high };

SEC("tc")
int tc_large_handlers(struct __sk_buff *skb)
{
	int total = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 2; i++) {
		int (*handler)(struct __sk_buff *) = handlers[i];
		barrier_var(handler);
		total += handler(skb);
	}
	u32 words[8] = {};
#pragma clang loop unroll(disable)
	for (u32 i = 0; i < 8; i++) {
		if (bpf_skb_load_bytes(skb, i * 4, &words[i], 4) < 0)
			break;
	}
	skb->cb[2] = words[0] ^ words[7];
	return total == 3 ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
