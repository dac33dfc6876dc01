/* A small, self-written stand-in for libbpf's bpf_helpers.h and the kernel UAPI headers the
 * corpus needs. Nothing here is copied: the helper numbers are the kernel's stable ABI
 * (include/uapi/linux/bpf.h, enum bpf_func_id) and the struct layouts are the UAPI's. */
#ifndef BPF_CORPUS_H
#define BPF_CORPUS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef u16 be16;
typedef u32 be32;

#define NULL ((void *)0)

/* Section and attribute macros, spelled as libbpf spells them. */
#define SEC(name) __attribute__((section(name), used))
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))
/* An extern kernel function (kfunc) or variable, resolved by the loader against kernel BTF. */
#define __ksym __attribute__((section(".ksyms")))

/* BTF-defined maps: each member is a pointer type whose shape encodes a number or a type,
 * exactly what the loader reads back from BTF. */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

/* Legacy map definitions for the "maps" section. */
struct bpf_map_def {
	u32 type;
	u32 key_size;
	u32 value_size;
	u32 max_entries;
	u32 map_flags;
};

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};

#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_EXIST 2
#define BPF_F_CURRENT_CPU 0xffffffffULL

/* Helpers: calls through a constant "pointer" whose value is the helper number, which clang
 * turns into `call N`. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static long (*bpf_probe_read)(void *dst, u32 size, const void *unsafe_ptr) = (void *)4;
static u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static long (*bpf_trace_printk)(const char *fmt, u32 fmt_size, ...) = (void *)6;
static u32 (*bpf_get_prandom_u32)(void) = (void *)7;
static u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
static u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static u64 (*bpf_get_current_uid_gid)(void) = (void *)15;
static long (*bpf_get_current_comm)(void *buf, u32 size_of_buf) = (void *)16;
static long (*bpf_redirect)(u32 ifindex, u64 flags) = (void *)23;
static long (*bpf_perf_event_output)(void *ctx, void *map, u64 flags, void *data, u64 size) = (void *)25;
static long (*bpf_skb_load_bytes)(const void *skb, u32 offset, void *to, u32 len) = (void *)26;
static long (*bpf_probe_read_kernel)(void *dst, u32 size, const void *unsafe_ptr) = (void *)113;
static long (*bpf_probe_read_user_str)(void *dst, u32 size, const void *unsafe_ptr) = (void *)114;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, u64 size, u64 flags) = (void *)130;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, u64 size, u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, u64 flags) = (void *)132;
static void (*bpf_ringbuf_discard)(void *data, u64 flags) = (void *)133;
static long (*bpf_loop)(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags) = (void *)181;

/* Legacy packet loads (BPF_LD | BPF_ABS / BPF_IND) for socket filters. */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

/* Program contexts (UAPI layouts). */
struct xdp_md {
	u32 data;
	u32 data_end;
	u32 data_meta;
	u32 ingress_ifindex;
	u32 rx_queue_index;
	u32 egress_ifindex;
};

enum xdp_action { XDP_ABORTED = 0, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT };

struct bpf_flow_keys;
struct bpf_sock;

struct __sk_buff {
	u32 len;
	u32 pkt_type;
	u32 mark;
	u32 queue_mapping;
	u32 protocol;
	u32 vlan_present;
	u32 vlan_tci;
	u32 vlan_proto;
	u32 priority;
	u32 ingress_ifindex;
	u32 ifindex;
	u32 tc_index;
	u32 cb[5];
	u32 hash;
	u32 tc_classid;
	u32 data;
	u32 data_end;
	u32 napi_id;
	u32 family;
	u32 remote_ip4;
	u32 local_ip4;
	u32 remote_ip6[4];
	u32 local_ip6[4];
	u32 remote_port;
	u32 local_port;
	u32 data_meta;
	union {
		struct bpf_flow_keys *flow_keys;
		u64 flow_keys_slot;
	} __attribute__((aligned(8)));
	u64 tstamp;
	u32 wire_len;
	u32 gso_segs;
	union {
		struct bpf_sock *sk;
		u64 sk_slot;
	} __attribute__((aligned(8)));
	u32 gso_size;
	u8 tstamp_type;
	u32 : 24;
	u64 hwtstamp;
};

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

/* x86-64 pt_regs, as kprobes see it. */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags,
		sp, ss;
};
#define PT_REGS_PARM1(x) ((x)->di)
#define PT_REGS_PARM2(x) ((x)->si)
#define PT_REGS_PARM3(x) ((x)->dx)
#define PT_REGS_RC(x) ((x)->ax)

/* Network headers. */
#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct ethhdr {
	u8 h_dest[ETH_ALEN];
	u8 h_source[ETH_ALEN];
	be16 h_proto;
} __attribute__((packed));

struct vlan_hdr {
	be16 tci;
	be16 encapsulated_proto;
};

struct iphdr {
	u8 ihl : 4, version : 4;
	u8 tos;
	be16 tot_len;
	be16 id;
	be16 frag_off;
	u8 ttl;
	u8 protocol;
	u16 check;
	be32 saddr;
	be32 daddr;
};

struct ipv6hdr {
	u8 priority : 4, version : 4;
	u8 flow_lbl[3];
	be16 payload_len;
	u8 nexthdr;
	u8 hop_limit;
	u8 saddr[16];
	u8 daddr[16];
};

struct tcphdr {
	be16 source;
	be16 dest;
	be32 seq;
	be32 ack_seq;
	u16 res1 : 4, doff : 4, fin : 1, syn : 1, rst : 1, psh : 1, ack : 1, urg : 1, ece : 1, cwr : 1;
	be16 window;
	u16 check;
	be16 urg_ptr;
};

struct udphdr {
	be16 source;
	be16 dest;
	be16 len;
	u16 check;
};

#define bpf_htons(x) ((be16)__builtin_bswap16(x))
#define bpf_ntohs(x) ((u16)__builtin_bswap16(x))
#define bpf_htonl(x) ((be32)__builtin_bswap32(x))
#define bpf_ntohl(x) ((u32)__builtin_bswap32(x))

/* Keeps a value opaque to the optimiser, so that a test's interesting part is not folded. */
#define barrier_var(var) asm volatile("" : "+r"(var))

#endif
