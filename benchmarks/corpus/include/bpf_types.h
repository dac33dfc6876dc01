/* Contexts, helpers and constants of the program types that src/types/ covers, beside
 * bpf_corpus.h. Self-written: helper numbers are the kernel's stable ABI (enum bpf_func_id)
 * and the context layouts are the UAPI's (include/uapi/linux/bpf.h). */
#ifndef BPF_TYPES_H
#define BPF_TYPES_H

#include "bpf_corpus.h"

/* A context pointer member, 64 bits wide whatever the target (the UAPI's __bpf_md_ptr). */
#define md_ptr(type, name) \
	union { \
		type name; \
		u64 name##_slot; \
	} __attribute__((aligned(8)))

enum {
	BPF_MAP_TYPE_DEVMAP = 14,
	BPF_MAP_TYPE_SOCKMAP = 15,
	BPF_MAP_TYPE_CPUMAP = 16,
	BPF_MAP_TYPE_SOCKHASH = 18,
	BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20,
	BPF_MAP_TYPE_SK_STORAGE = 24,
};

#define BPF_F_NO_PREALLOC (1U << 0)
#define BPF_SK_STORAGE_GET_F_CREATE 1ULL

static long (*bpf_skb_store_bytes)(void *skb, u32 offset, const void *from, u32 len, u64 flags) = (void *)9;
static long (*bpf_tail_call)(void *ctx, void *prog_array, u32 index) = (void *)12;
static u32 (*bpf_get_cgroup_classid)(struct __sk_buff *skb) = (void *)17;
static long (*bpf_get_stackid)(void *ctx, void *map, u64 flags) = (void *)27;
static s64 (*bpf_csum_diff)(be32 *from, u32 from_size, be32 *to, u32 to_size, u32 seed) = (void *)28;
static u32 (*bpf_get_hash_recalc)(struct __sk_buff *skb) = (void *)34;
static u64 (*bpf_get_current_task)(void) = (void *)35;
static long (*bpf_xdp_adjust_head)(struct xdp_md *xdp_md, int delta) = (void *)44;
static u64 (*bpf_get_socket_cookie)(void *ctx) = (void *)46;
static u32 (*bpf_get_socket_uid)(struct __sk_buff *skb) = (void *)47;
static long (*bpf_setsockopt)(void *bpf_socket, int level, int optname, void *optval, int optlen) = (void *)49;
static long (*bpf_redirect_map)(void *map, u64 key, u64 flags) = (void *)51;
static long (*bpf_sk_redirect_map)(struct __sk_buff *skb, void *map, u32 key, u64 flags) = (void *)52;
static long (*bpf_perf_prog_read_value)(void *ctx, void *buf, u32 buf_size) = (void *)56;
static long (*bpf_sock_ops_cb_flags_set)(void *bpf_sock, int argval) = (void *)59;
static long (*bpf_msg_redirect_hash)(void *msg, void *map, void *key, u64 flags) = (void *)71;
static long (*bpf_msg_apply_bytes)(void *msg, u32 bytes) = (void *)61;
static long (*bpf_sock_hash_update)(void *skops, void *map, void *key, u64 flags) = (void *)70;
static long (*bpf_skb_load_bytes_relative)(const void *skb, u32 offset, void *to, u32 len, u32 start_header) = (void *)68;
static u64 (*bpf_get_current_cgroup_id)(void) = (void *)80;
static long (*bpf_sk_select_reuseport)(void *reuse, void *map, void *key, u64 flags) = (void *)82;
static long (*bpf_sk_release)(void *sock) = (void *)86;
static long (*bpf_sysctl_get_name)(void *ctx, char *buf, unsigned long buf_len, u64 flags) = (void *)101;
static long (*bpf_sysctl_get_current_value)(void *ctx, char *buf, unsigned long buf_len) = (void *)102;
static long (*bpf_strtoul)(const char *buf, unsigned long buf_len, u64 flags, unsigned long *res) = (void *)106;
static void *(*bpf_sk_storage_get)(void *map, void *sk, void *value, u64 flags) = (void *)107;
static long (*bpf_probe_read_user)(void *dst, u32 size, const void *unsafe_ptr) = (void *)112;
static long (*bpf_probe_read_kernel_str)(void *dst, u32 size, const void *unsafe_ptr) = (void *)115;
static long (*bpf_sk_assign)(void *ctx, void *sk, u64 flags) = (void *)124;
static long (*bpf_seq_write)(void *m, const void *data, u32 len) = (void *)127;
static long (*bpf_sys_bpf)(u32 cmd, void *attr, u32 attr_size) = (void *)166;
static u64 (*bpf_get_func_ip)(void *ctx) = (void *)173;
static long (*bpf_get_func_arg)(void *ctx, u32 n, u64 *value) = (void *)183;
static long (*bpf_get_func_ret)(void *ctx, u64 *value) = (void *)184;
static long (*bpf_get_func_arg_cnt)(void *ctx) = (void *)185;
static u64 (*bpf_xdp_get_buff_len)(struct xdp_md *xdp_md) = (void *)188;
static long (*bpf_xdp_load_bytes)(struct xdp_md *xdp_md, u32 offset, void *buf, u32 len) = (void *)189;

#define SOL_SOCKET 1
#define SO_MARK 36
#define SOL_IP 0
#define IP_TOS 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define EPERM 1

struct bpf_sock {
	u32 bound_dev_if;
	u32 family;
	u32 type;
	u32 protocol;
	u32 mark;
	u32 priority;
	u32 src_ip4;
	u32 src_ip6[4];
	u32 src_port;
	be16 dst_port;
	u16 : 16;
	u32 dst_ip4;
	u32 dst_ip6[4];
	u32 state;
	s32 rx_queue_mapping;
};

struct bpf_sock_addr {
	u32 user_family;
	u32 user_ip4;
	u32 user_ip6[4];
	u32 user_port;
	u32 family;
	u32 type;
	u32 protocol;
	u32 msg_src_ip4;
	u32 msg_src_ip6[4];
	md_ptr(struct bpf_sock *, sk);
};

struct bpf_sock_ops {
	u32 op;
	union {
		u32 args[4];
		u32 reply;
		u32 replylong[4];
	};
	u32 family;
	u32 remote_ip4;
	u32 local_ip4;
	u32 remote_ip6[4];
	u32 local_ip6[4];
	u32 remote_port;
	u32 local_port;
	u32 is_fullsock;
	u32 snd_cwnd;
	u32 srtt_us;
	u32 bpf_sock_ops_cb_flags;
	u32 state;
	u32 rtt_min;
	u32 snd_ssthresh;
	u32 rcv_nxt;
	u32 snd_nxt;
	u32 snd_una;
	u32 mss_cache;
	u32 ecn_flags;
	u32 rate_delivered;
	u32 rate_interval_us;
	u32 packets_out;
	u32 retrans_out;
	u32 total_retrans;
	u32 segs_in;
	u32 data_segs_in;
	u32 segs_out;
	u32 data_segs_out;
	u32 lost_out;
	u32 sacked_out;
	u32 sk_txhash;
	u64 bytes_received;
	u64 bytes_acked;
	md_ptr(struct bpf_sock *, sk);
	md_ptr(void *, skb_data);
	md_ptr(void *, skb_data_end);
	u32 skb_len;
	u32 skb_tcp_flags;
	u64 skb_hwtstamp;
};

#define BPF_SOCK_OPS_TCP_CONNECT_CB 3
#define BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB 4
#define BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB 5
#define BPF_SOCK_OPS_RTT_CB_FLAG (1 << 3)

struct bpf_sysctl {
	u32 write;
	u32 file_pos;
};

struct bpf_sockopt {
	md_ptr(struct bpf_sock *, sk);
	md_ptr(void *, optval);
	md_ptr(void *, optval_end);
	s32 level;
	s32 optname;
	s32 optlen;
	s32 retval;
};

struct sk_msg_md {
	md_ptr(void *, data);
	md_ptr(void *, data_end);
	u32 family;
	u32 remote_ip4;
	u32 local_ip4;
	u32 remote_ip6[4];
	u32 local_ip6[4];
	u32 remote_port;
	u32 local_port;
	u32 size;
	md_ptr(struct bpf_sock *, sk);
};

#define SK_DROP 0
#define SK_PASS 1

struct bpf_sk_lookup {
	union {
		md_ptr(struct bpf_sock *, sk);
		u64 cookie;
	};
	u32 family;
	u32 protocol;
	u32 remote_ip4;
	u32 remote_ip6[4];
	be16 remote_port;
	u16 : 16;
	u32 local_ip4;
	u32 local_ip6[4];
	u32 local_port;
	u32 ingress_ifindex;
};

struct sk_reuseport_md {
	md_ptr(void *, data);
	md_ptr(void *, data_end);
	u32 len;
	u32 eth_protocol;
	u32 ip_protocol;
	u32 bind_inany;
	u32 hash;
	md_ptr(struct bpf_sock *, sk);
	md_ptr(struct bpf_sock *, migrating_sk);
};

struct bpf_cgroup_dev_ctx {
	u32 access_type;
	u32 major;
	u32 minor;
};

#define BPF_DEVCG_ACC_MKNOD (1ULL << 0)
#define BPF_DEVCG_ACC_READ (1ULL << 1)
#define BPF_DEVCG_ACC_WRITE (1ULL << 2)
#define BPF_DEVCG_DEV_BLOCK (1ULL << 0)
#define BPF_DEVCG_DEV_CHAR (1ULL << 1)

struct bpf_flow_keys {
	u16 nhoff;
	u16 thoff;
	u16 addr_proto;
	u8 is_frag;
	u8 is_first_frag;
	u8 is_encap;
	u8 ip_proto;
	be16 n_proto;
	be16 sport;
	be16 dport;
	union {
		struct {
			be32 ipv4_src;
			be32 ipv4_dst;
		};
		struct {
			u32 ipv6_src[4];
			u32 ipv6_dst[4];
		};
	};
	u32 flags;
	be32 flow_label;
};

#define BPF_OK 0
#define BPF_DROP 2
#define BPF_REDIRECT 7

/* x86-64 user_pt_regs as perf_event programs see it (struct bpf_perf_event_data). */
struct bpf_perf_event_data {
	struct pt_regs regs;
	u64 sample_period;
	u64 addr;
};

struct bpf_perf_event_value {
	u64 counter;
	u64 enabled;
	u64 running;
};

/* Netfilter hook context: two kernel pointers (state, skb), read-only. */
struct bpf_nf_ctx {
	const void *state;
	const void *skb;
};

#define NF_DROP 0
#define NF_ACCEPT 1

/* Iterator context: the seq_file and the current element (NULL on the final call). */
struct bpf_iter_meta {
	void *seq;
	u64 session_id;
	u64 seq_num;
};

#endif
