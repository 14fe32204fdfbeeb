/*
 * racker-devices: a container's device policy on cgroup v2, which has no devices
 * controller (docs/run.md, "Devices"; src/runtime/device-policy.ts).
 *
 *   racker-devices CGROUP_DIR RULE... -- PROCS_FILE... -- COMMAND [ARG...]
 *
 * Loads a BPF_PROG_TYPE_CGROUP_DEVICE program that allows exactly the RULEs
 * ("c:MAJOR:MINOR:ACCESS", MINOR may be "*", ACCESS of r, w, m) and denies every
 * other device, attaches it to the cgroup2 directory CGROUP_DIR with
 * BPF_F_ALLOW_MULTI (a booted container's systemd can add programs of its own
 * below; the kernel runs them all and every one must allow), writes its own pid
 * into each PROCS_FILE and execs COMMAND: so systemd-nspawn and all it starts
 * are under the program. The attachment lasts as long as the cgroup.
 * Exit 125 with one line on stderr when any step fails; nothing is started then.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_RULES 256
/* per rule: 2 compares, maybe a third, access mask and test, allow and exit */
#define MAX_INSNS (8 + MAX_RULES * 8)

static struct bpf_insn prog[MAX_INSNS];
static int n_insns;

static void fail(const char *what, const char *arg) {
  fprintf(stderr, "racker-devices: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", errno ? strerror(errno) : "invalid");
  exit(125);
}

static void emit(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm) {
  if (n_insns >= MAX_INSNS) { errno = E2BIG; fail("too many rules", NULL); }
  prog[n_insns++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/* A jump's offset is known once the rule's end is: patch it then. */
static void patch_to_here(int from, int to) {
  for (int i = from; i < to; i++)
    if (BPF_CLASS(prog[i].code) == BPF_JMP && BPF_OP(prog[i].code) != BPF_EXIT && prog[i].off == -1)
      prog[i].off = (__s16)(n_insns - i - 1);
}

static unsigned long number(const char *s, const char *rule) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || errno || v > 0xffffffffUL) { errno = EINVAL; fail("bad rule", rule); }
  return v;
}

/* r2: access (mknod 1, read 2, write 4), r3: type (block 1, char 2), r4: major, r5: minor */
static void add_rule(const char *rule) {
  char buf[64];
  if (strlen(rule) >= sizeof buf) { errno = EINVAL; fail("bad rule", rule); }
  strcpy(buf, rule);
  char *type = strtok(buf, ":"), *major = strtok(NULL, ":"), *minor = strtok(NULL, ":"), *access = strtok(NULL, ":");
  if (!type || !major || !minor || !access || strtok(NULL, ":") || (strcmp(type, "c") && strcmp(type, "b"))) { errno = EINVAL; fail("bad rule", rule); }
  int allowed = 0;
  for (const char *a = access; *a; a++) {
    if (*a == 'm') allowed |= BPF_DEVCG_ACC_MKNOD;
    else if (*a == 'r') allowed |= BPF_DEVCG_ACC_READ;
    else if (*a == 'w') allowed |= BPF_DEVCG_ACC_WRITE;
    else { errno = EINVAL; fail("bad rule", rule); }
  }
  int start = n_insns;
  /* jumps with off -1 go to the next rule, patched below */
  emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_3, 0, -1, *type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
  emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, -1, (__s32)number(major, rule));
  if (strcmp(minor, "*")) emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, -1, (__s32)number(minor, rule));
  /* any access asked for beyond the allowed ones: not this rule */
  emit(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_2, 0, 0);
  emit(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_6, 0, 0, ~allowed & 7);
  emit(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_6, 0, -1, 0);
  emit(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
  emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  patch_to_here(start, n_insns);
}

static long bpf(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int main(int argc, char **argv) {
  if (argc < 5) { errno = EINVAL; fail("usage: racker-devices CGROUP_DIR RULE... -- PROCS_FILE... -- COMMAND [ARG...]", NULL); }
  int i = 2;
  /* struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor */
  emit(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
  emit(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
  emit(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_3, 0, 0, 0xffff);
  emit(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_2, 0, 0, 16);
  emit(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);
  emit(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);
  for (; i < argc && strcmp(argv[i], "--"); i++) {
    if (i - 2 >= MAX_RULES) { errno = E2BIG; fail("too many rules", NULL); }
    add_rule(argv[i]);
  }
  emit(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
  emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  if (i >= argc) { errno = EINVAL; fail("missing -- after the rules", NULL); }

  char log[4096] = "";
  union bpf_attr load = { 0 };
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (__u64)(unsigned long)prog;
  load.insn_cnt = (__u32)n_insns;
  load.license = (__u64)(unsigned long)"GPL";
  load.log_buf = (__u64)(unsigned long)log;
  load.log_size = sizeof log;
  load.log_level = 1;
  int prog_fd = (int)bpf(BPF_PROG_LOAD, &load);
  if (prog_fd < 0) {
    if (*log) fprintf(stderr, "racker-devices: the verifier said: %.300s\n", log);
    fail("cannot load the device program", NULL);
  }
  int cg_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0) fail("cannot open", argv[1]);
  union bpf_attr attach = { 0 };
  attach.target_fd = (__u32)cg_fd;
  attach.attach_bpf_fd = (__u32)prog_fd;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attach) < 0) fail("cannot attach the device program to", argv[1]);
  close(prog_fd);
  close(cg_fd);

  char pid[32];
  int len = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
  for (i++; i < argc && strcmp(argv[i], "--"); i++) {
    int fd = open(argv[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, pid, (size_t)len) != len) fail("cannot enter", argv[i]);
    close(fd);
  }
  if (i + 1 >= argc) { errno = EINVAL; fail("missing the command", NULL); }
  execvp(argv[i + 1], argv + i + 1);
  fail("cannot run", argv[i + 1]);
}
