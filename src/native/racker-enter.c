/*
 * racker-enter: run one command inside a running container with the
 * container's own confinement, the way its payload has it: the leader's
 * cgroups (so its pids/memory limits and device rules), its seccomp filters,
 * its namespaces and root, the container's capability sets for the user,
 * no_new_privs, and the user itself. Anything it cannot apply fails the
 * command (exit 125); it never runs a command with fewer restrictions.
 *
 *   racker-enter --pid LEADER [--caps HEX] [--uid N --gid N] [--groups G,G]
 *                [--nnp] [--cwd DIR] [--env K=V]... [--env-encoded] -- ARGV...
 *
 * --caps: the capabilities the container grants (bit n = capability n),
 * further bounded by the leader's own bounding set; default: the leader's.
 * --env: the command's whole environment (default: this process's).
 * --env-encoded: the command's whole environment is in this process's own,
 * each K=V as the value of a variable RACKER_ENTER_ENV_<n>; nothing else of
 * it is passed on. racker hands a container's environment (image Env, user
 * values, secrets) over this way: never on a command line (world-readable),
 * and never under its own names, which the host's dynamic loader and libc
 * would act on before main() (LD_PRELOAD=… from an image: host root).
 * --nested-seccomp-inherit: when racker itself runs under a seccomp filter
 * (and so cannot read the container's), keep racker's filters instead of failing.
 * Exit codes as docker's exec: 125 cannot confine, 126 cannot invoke (or no
 * working directory), 127 not found, else the command's (128+n for signal n).
 * docs/architecture.md ("Native helpers") says why this is C.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CONFINE 125
#define EXIT_CANNOT 126
#define EXIT_NOTFOUND 127
#define MAX_FILTERS 1024
#define MAX_GROUPS 256
#define MAX_ENV 4096
/* the prefix of the variables that carry --env-encoded's environment */
#define ENCODED_ENV "RACKER_ENTER_ENV_"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void fail(int code, int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void fail(int code, int err, const char *fmt, ...)
{
	va_list ap;
	fputs(code == EXIT_CONFINE ? "racker: cannot confine the command: " : "racker: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	_exit(code);
}

/* A name from the command line or the container, safe to print: printable ASCII, at most 200 bytes. */
static const char *shown(const char *s)
{
	static char out[204];
	size_t i = 0;
	for (; s[i] && i < 200; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	strcpy(out + i, s[i] ? "..." : "");
	return out;
}

static unsigned long long number(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !*s || *end || *s == '-')
		fail(EXIT_CONFINE, 0, "%s: not a number", opt);
	return v;
}

/* A small file under /proc, whole (NUL-terminated); NULL when it cannot be read. */
static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			break;
		if (len + 1 >= cap) {
			char *more = cap < (1 << 22) ? realloc(buf, cap *= 2) : NULL;
			if (!more) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = more;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (n == 0) {
			buf[len] = 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	return buf;
}

/* "Field:\tVALUE" of /proc/PID/status */
static const char *status_field(const char *status, const char *field)
{
	size_t n = strlen(field);
	for (const char *l = status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, field, n) && l[n] == ':')
			return l + n + 1;
	return NULL;
}

/* ---- cgroups: join the leader's cgroup in every hierarchy ---- */

/* Does the comma-separated list `opts` contain every item of the comma-separated `want`? */
static int has_all(const char *opts, const char *want)
{
	char w[256];
	if (strlen(want) >= sizeof(w))
		return 0;
	strcpy(w, want);
	for (char *save, *item = strtok_r(w, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(item);
		const char *p = opts;
		int found = 0;
		while (p && *p) {
			if (!strncmp(p, item, n) && (p[n] == ',' || p[n] == 0)) {
				found = 1;
				break;
			}
			p = strchr(p, ',');
			if (p)
				p++;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* Where this (the host's) mount namespace has the whole hierarchy: controllers "" is cgroup2. */
static int hierarchy_mount(const char *mountinfo, const char *ctrls, char *out, size_t outlen)
{
	char *copy = strdup(mountinfo);
	int found = 0;
	for (char *save, *line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !found; line = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = 0;
		char *f[6] = { 0 }, *s2, *t = strtok_r(line, " ", &s2);
		for (int i = 0; i < 6 && t; i++, t = strtok_r(NULL, " ", &s2))
			f[i] = t;
		char *s3, *fstype = strtok_r(sep + 3, " ", &s3), *source = strtok_r(NULL, " ", &s3), *super = strtok_r(NULL, " ", &s3);
		if (!f[4] || !fstype || !source || !super || strcmp(f[3], "/"))
			continue;
		int match = *ctrls ? !strcmp(fstype, "cgroup") && has_all(super, ctrls) : !strcmp(fstype, "cgroup2");
		if (match && strlen(f[4]) < outlen) {
			strcpy(out, f[4]);
			unescape(out);
			found = 1;
		}
	}
	free(copy);
	return found;
}

/* Is this process already in cgroup `cg` of the hierarchy `id:ctrls` (a line of its own /proc/self/cgroup)? */
static int already_in(const char *self, const char *id, const char *ctrls, const char *cg)
{
	size_t idlen = strlen(id), clen = strlen(ctrls);
	for (const char *l = self; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (len == idlen + 1 + clen + 1 + strlen(cg) && !strncmp(l, id, idlen) && l[idlen] == ':' &&
		    !strncmp(l + idlen + 1, ctrls, clen) && l[idlen + 1 + clen] == ':' && !strncmp(l + idlen + clen + 2, cg, strlen(cg)))
			return 1;
	}
	return 0;
}

static void join_cgroups(pid_t leader)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", leader);
	char *cgroups = read_file(path), *mountinfo = read_file("/proc/self/mountinfo"), *self = read_file("/proc/self/cgroup");
	if (!cgroups || !mountinfo || !self)
		fail(EXIT_CONFINE, errno, "cannot read the container's cgroups");
	char pid[32];
	int pidlen = snprintf(pid, sizeof(pid), "%d\n", getpid());
	for (char *save, *line = strtok_r(cgroups, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			fail(EXIT_CONFINE, 0, "unexpected line in the container's cgroup list");
		*c2 = 0;
		const char *ctrls = c1 + 1, *cg = c2 + 1;
		if (*line == '0' && line[1] == ':' && *ctrls)
			fail(EXIT_CONFINE, 0, "unexpected line in the container's cgroup list");
		if (!*ctrls && strcmp(line, "0:"))
			continue; /* a v1 hierarchy without controllers or name: nothing to join */
		if (cg[0] != '/' || strstr(cg, "/../") || (strlen(cg) >= 3 && !strcmp(cg + strlen(cg) - 3, "/..")))
			fail(EXIT_CONFINE, 0, "unexpected cgroup path of the container");
		/* where racker is already (a racker nested in a container whose v1 hierarchies are read-only and shared) */
		char id[32];
		if ((size_t)(c1 - line) >= sizeof(id))
			fail(EXIT_CONFINE, 0, "unexpected line in the container's cgroup list");
		memcpy(id, line, (size_t)(c1 - line));
		id[c1 - line] = 0;
		if (already_in(self, id, ctrls, cg))
			continue;
		char mnt[512], procs[4096];
		if (!hierarchy_mount(mountinfo, ctrls, mnt, sizeof(mnt))) {
			if (!strcmp(cg, "/"))
				continue; /* the root of a hierarchy the host has not mounted: no limits there */
			fail(EXIT_CONFINE, 0, "the host has no mount of the cgroup hierarchy '%s'", *ctrls ? shown(ctrls) : "cgroup2");
		}
		if ((size_t)snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", mnt, strcmp(cg, "/") ? cg : "") >= sizeof(procs))
			fail(EXIT_CONFINE, 0, "cgroup path too long");
		int fd = open(procs, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || write(fd, pid, (size_t)pidlen) != pidlen)
			fail(EXIT_CONFINE, errno, "cannot join the container's cgroup %s", shown(procs));
		close(fd);
	}
	free(cgroups);
	free(mountinfo);
	free(self);
}

/* ---- seccomp: copy the leader's filters ---- */

struct filters {
	int count;
	struct sock_fprog prog[MAX_FILTERS]; /* index 0 is the newest, as the kernel numbers them */
};

/* Stop the leader for as long as it takes to read its filters (PTRACE_SECCOMP_GET_FILTER needs a ptrace-stop). */
static void copy_filters(pid_t leader, int leader_seccomp, struct filters *out)
{
	out->count = 0;
	if (leader_seccomp == 0)
		return;
	if (leader_seccomp != SECCOMP_MODE_FILTER)
		fail(EXIT_CONFINE, 0, "the container's seccomp mode %d cannot be copied", leader_seccomp);
	if (ptrace(PTRACE_SEIZE, leader, 0, 0) < 0)
		fail(EXIT_CONFINE, errno, "cannot read the container's seccomp filter (ptrace)");
	int err = 0, sig = 0, status;
	if (ptrace(PTRACE_INTERRUPT, leader, 0, 0) < 0)
		fail(EXIT_CONFINE, errno, "cannot read the container's seccomp filter (interrupt)");
	for (;;) {
		pid_t w = waitpid(leader, &status, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			fail(EXIT_CONFINE, errno, "cannot read the container's seccomp filter (wait)");
		if (WIFEXITED(status) || WIFSIGNALED(status))
			fail(EXIT_CONFINE, 0, "the container's main process has ended");
		if (WIFSTOPPED(status))
			break;
	}
	/* a signal on its way to the leader is handed back to it at detach */
	if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP)
		sig = WSTOPSIG(status);
	for (int i = 0;; i++) {
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, leader, (void *)(long)i, NULL);
		if (n < 0 && errno == ENOENT && i > 0)
			break;
		if (n <= 0 || i >= MAX_FILTERS) {
			err = n < 0 ? errno : E2BIG;
			break;
		}
		struct sock_filter *insns = calloc((size_t)n, sizeof(*insns));
		if (!insns || ptrace(PTRACE_SECCOMP_GET_FILTER, leader, (void *)(long)i, insns) != n) {
			err = insns ? errno : ENOMEM;
			break;
		}
		out->prog[i].len = (unsigned short)n;
		out->prog[i].filter = insns;
		out->count = i + 1;
	}
	if (ptrace(PTRACE_DETACH, leader, 0, (void *)(long)sig) < 0 && !err)
		err = errno;
	if (err)
		fail(EXIT_CONFINE, err, "cannot read the container's seccomp filter");
}

static void install_filters(const struct filters *f)
{
	for (int i = f->count - 1; i >= 0; i--)
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f->prog[i]) < 0)
			fail(EXIT_CONFINE, errno, "cannot install the container's seccomp filter");
}

/* ---- capabilities ---- */

static void set_caps(uint64_t inh, uint64_t prm, uint64_t eff)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
	};
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail(EXIT_CONFINE, errno, "cannot set the capabilities");
}

static uint64_t own_permitted(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		fail(EXIT_CONFINE, errno, "cannot read the capabilities");
	return (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
}

/* ---- exec, as docker: 127 not found, 126 cannot invoke ---- */

static void exec_command(char **argv, char **envp)
{
	const char *file = argv[0];
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		fail(errno == ENOENT || errno == ENOTDIR ? EXIT_NOTFOUND : EXIT_CANNOT, errno, "exec: \"%s\"", shown(file));
	}
	const char *path = DEFAULT_PATH;
	for (char **e = envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	int denied = 0;
	char full[4096];
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		int dirlen = (int)(end - p);
		if ((size_t)snprintf(full, sizeof(full), "%.*s%s%s", dirlen, p, dirlen ? "/" : "", file) < sizeof(full)) {
			execve(full, argv, envp);
			if (errno == EACCES)
				denied = 1;
			else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != ENAMETOOLONG)
				fail(EXIT_CANNOT, errno, "exec: \"%s\"", shown(file));
		}
		if (!*end)
			break;
		p = end;
	}
	if (denied)
		fail(EXIT_CANNOT, EACCES, "exec: \"%s\"", shown(file));
	fail(EXIT_NOTFOUND, 0, "exec: \"%s\": executable file not found in $PATH", shown(file));
}

/* ---- the parent: wait for the command, forward signals sent to us ---- */

static volatile pid_t child_pid;

static void forward(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	/* a terminal's ^C reaches the command itself (same process group): only pass on signals sent to us */
	if (child_pid > 0 && info->si_code <= 0)
		kill(child_pid, sig);
}

static int wait_child(pid_t pid)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };
	struct sigaction sa = { 0 };
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	child_pid = pid;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	int status;
	for (;;) {
		if (waitpid(pid, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			return EXIT_CONFINE;
		}
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (WIFSIGNALED(status))
			return 128 + WTERMSIG(status);
	}
}

/* ---- run from a sealed copy of ourselves ---- */

/*
 * A container can make its command's interpreter /proc/self/exe ("#!/proc/self/exe"),
 * which, at that moment, is this helper: a process in the container would then
 * hold the host's binary and could write to it once it is no longer running
 * (runc's CVE-2019-5736). So the helper first re-executes itself from a sealed
 * memfd copy: /proc/self/exe is then that copy, which cannot be written.
 */
static void run_from_sealed_copy(char **argv, char **envp)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		fail(EXIT_CONFINE, errno, "cannot open the helper itself");
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL)) {
		close(self);
		return;
	}
	int copy = memfd_create("racker-enter", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct stat st;
	if (copy < 0 || fstat(self, &st) < 0)
		fail(EXIT_CONFINE, errno, "cannot copy the helper");
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = sendfile(copy, self, NULL, (size_t)(st.st_size - done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(EXIT_CONFINE, n < 0 ? errno : EIO, "cannot copy the helper");
		done += n;
	}
	close(self);
	if (fcntl(copy, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		fail(EXIT_CONFINE, errno, "cannot seal the helper's copy");
	fexecve(copy, argv, envp);
	fail(EXIT_CONFINE, errno, "cannot run the helper's copy");
}

/* ---- the container's setup is over ---- */

static int same_exe(pid_t a, pid_t b)
{
	char pa[64], pb[64];
	struct stat sa, sb;
	snprintf(pa, sizeof(pa), "/proc/%d/exe", a);
	snprintf(pb, sizeof(pb), "/proc/%d/exe", b);
	return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Is the leader still systemd-nspawn's own child, setting the container up?
 * Until it executes the payload (or, with --as-pid2, has started it) it still
 * has the host's root, most capabilities and only some of the filters:
 * nothing may be copied from it then.
 */
static int still_setting_up(pid_t leader)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", leader);
	char *status = read_file(path);
	const char *ppid = status ? status_field(status, "PPid") : NULL;
	pid_t parent = ppid ? (pid_t)atoi(ppid) : 0;
	free(status);
	if (parent <= 0)
		fail(EXIT_CONFINE, 0, "the container's main process has ended");
	if (!same_exe(leader, parent))
		return 0;
	/* --as-pid2: nspawn's stub init stays nspawn; the payload is its child */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", leader, leader);
	char *children = read_file(path);
	int started = 0;
	for (char *save, *c = children ? strtok_r(children, " \n", &save) : NULL; c && !started; c = strtok_r(NULL, " \n", &save))
		started = !same_exe((pid_t)atoi(c), parent);
	free(children);
	return !started;
}

static void wait_for_payload(pid_t leader)
{
	/* nspawn's setup takes milliseconds; a container stuck in it is refused */
	for (int i = 0; still_setting_up(leader); i++) {
		if (i >= 2000)
			fail(EXIT_CONFINE, 0, "the container is still starting; try again in a moment");
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static const struct { const char *name; int type; } NAMESPACES[] = {
	{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET }, { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
};
#define NS_COUNT (sizeof(NAMESPACES) / sizeof(NAMESPACES[0]))

int main(int argc, char **argv)
{
	pid_t leader = 0;
	uint64_t caps = ~0ULL;
	long long uid = 0, gid = 0;
	gid_t groups[MAX_GROUPS];
	int ngroups = 0, nnp = 0, nenv = 0, argi = 1, inherit_own = 0, encoded = 0;
	const char *cwd = "/";
	static char *env[MAX_ENV + 1];
	extern char **environ;
	run_from_sealed_copy(argv, environ);
	for (; argi < argc; argi++) {
		const char *a = argv[argi], *v = argi + 1 < argc ? argv[argi + 1] : NULL;
		if (!strcmp(a, "--")) {
			argi++;
			break;
		}
		if (!strcmp(a, "--nnp")) {
			nnp = 1;
			continue;
		}
		if (!strcmp(a, "--nested-seccomp-inherit")) {
			inherit_own = 1;
			continue;
		}
		if (!strcmp(a, "--env-encoded")) {
			for (char **e = environ; *e; e++) {
				if (strncmp(*e, ENCODED_ENV, sizeof(ENCODED_ENV) - 1))
					continue;
				char *kv = strchr(*e, '=');
				if (!kv || nenv >= MAX_ENV || !strchr(kv + 1, '='))
					fail(EXIT_CONFINE, 0, "--env-encoded: too many or not K=V");
				env[nenv++] = kv + 1;
			}
			encoded = 1;
			continue;
		}
		if (!v)
			fail(EXIT_CONFINE, 0, "%s: missing value", shown(a));
		argi++;
		if (!strcmp(a, "--pid"))
			leader = (pid_t)number(a, v);
		else if (!strcmp(a, "--uid"))
			uid = (long long)number(a, v);
		else if (!strcmp(a, "--gid"))
			gid = (long long)number(a, v);
		else if (!strcmp(a, "--cwd"))
			cwd = v;
		else if (!strcmp(a, "--caps")) {
			char *end;
			errno = 0;
			caps = strtoull(v, &end, 16);
			if (errno || !*v || *end)
				fail(EXIT_CONFINE, 0, "--caps: not a hexadecimal mask");
		} else if (!strcmp(a, "--env")) {
			if (nenv >= MAX_ENV || !strchr(v, '='))
				fail(EXIT_CONFINE, 0, "--env: too many or not K=V");
			env[nenv++] = (char *)v;
		} else if (!strcmp(a, "--groups")) {
			char *list = strdup(v);
			for (char *save, *g = list ? strtok_r(list, ",", &save) : NULL; g; g = strtok_r(NULL, ",", &save)) {
				if (ngroups >= MAX_GROUPS)
					fail(EXIT_CONFINE, 0, "--groups: too many");
				groups[ngroups++] = (gid_t)number(a, g);
			}
			free(list);
		} else
			fail(EXIT_CONFINE, 0, "unknown option %s", shown(a));
	}
	if (leader <= 1 || argi >= argc || uid > 0xfffffffeLL || gid > 0xfffffffeLL)
		fail(EXIT_CONFINE, 0, "usage: racker-enter --pid LEADER [options] -- ARGV...");
	char **cmd = argv + argi;
	char **envp = nenv || encoded ? env : environ;

	/* everything about the leader is read through the host's /proc, before entering anything */
	wait_for_payload(leader);
	char path[64];
	int nsfd[NS_COUNT];
	for (size_t i = 0; i < NS_COUNT; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", leader, NAMESPACES[i].name);
		if ((nsfd[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			fail(EXIT_CONFINE, errno, "cannot open the container's %s namespace", NAMESPACES[i].name);
	}
	struct stat own_user, its_user;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", leader);
	if (stat("/proc/self/ns/user", &own_user) < 0 || stat(path, &its_user) < 0)
		fail(EXIT_CONFINE, errno, "cannot read the container's user namespace");
	if (own_user.st_ino != its_user.st_ino || own_user.st_dev != its_user.st_dev)
		fail(EXIT_CONFINE, 0, "the container has a user namespace of its own, which racker does not enter");
	snprintf(path, sizeof(path), "/proc/%d/root", leader);
	int rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fail(EXIT_CONFINE, errno, "cannot open the container's root");
	snprintf(path, sizeof(path), "/proc/%d/status", leader);
	char *status = read_file(path);
	const char *bnd = status ? status_field(status, "CapBnd") : NULL;
	const char *its_nnp = status ? status_field(status, "NoNewPrivs") : NULL;
	const char *its_seccomp = status ? status_field(status, "Seccomp") : NULL;
	if (!bnd || !its_nnp || !its_seccomp)
		fail(EXIT_CONFINE, 0, "cannot read the container's main process status");
	caps &= strtoull(bnd, NULL, 16);
	nnp |= atoi(its_nnp) != 0;
	int last_cap = 40;
	char *lc = read_file("/proc/sys/kernel/cap_last_cap");
	if (lc)
		last_cap = atoi(lc);
	free(lc);

	struct filters *filters = calloc(1, sizeof(*filters));
	if (!filters)
		fail(EXIT_CONFINE, ENOMEM, "out of memory");
	char *own = read_file("/proc/self/status");
	const char *own_seccomp = own ? status_field(own, "Seccomp") : NULL;
	const char *own_count = own ? status_field(own, "Seccomp_filters") : NULL;
	const char *its_count = status_field(status, "Seccomp_filters");
	if (!own_seccomp || !own_count || !its_count)
		fail(EXIT_CONFINE, 0, "cannot read the seccomp state");
	if (atoi(own_seccomp) == 0) {
		copy_filters(leader, atoi(its_seccomp), filters);
	} else if (!inherit_own) {
		fail(EXIT_CONFINE, 0, "racker runs under a seccomp filter itself, and the kernel lets it read no other process's filter "
			"(RACKER_NESTED_SECCOMP=inherit keeps racker's own filters instead: docs/lifecycle.md)");
	} else if (atoi(its_seccomp) != SECCOMP_MODE_FILTER || atoi(its_count) <= atoi(own_count)) {
		fail(EXIT_CONFINE, 0, "racker runs under a seccomp filter the container does not have");
	}
	/*
	 * else, asked to: racker runs under a seccomp filter (inside a container
	 * of its own), the kernel reads no other process's filter for a confined
	 * caller, and the command keeps racker's filters, which the container
	 * inherited from racker (docs/lifecycle.md, "racker exec").
	 */
	free(own);
	join_cgroups(leader);

	for (size_t i = 0; i < NS_COUNT; i++) {
		if (setns(nsfd[i], NAMESPACES[i].type) < 0)
			fail(EXIT_CONFINE, errno, "cannot enter the container's %s namespace", NAMESPACES[i].name);
		close(nsfd[i]);
	}
	if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		fail(EXIT_CONFINE, errno, "cannot enter the container's root");
	close(rootfd);

	/*
	 * Everything is dropped here, before the fork: only the child is in the
	 * container's PID namespace, so the container never sees a process of
	 * ours that still has the host's privileges (one with CAP_SYS_PTRACE
	 * could otherwise attach to it in between). This process stays outside
	 * it, as confined as the command, and only waits.
	 */
	if (setgroups((size_t)ngroups, groups) < 0 || setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0)
		fail(EXIT_CONFINE, errno, "cannot switch to group %lld", gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)
		fail(EXIT_CONFINE, errno, "cannot switch to user %lld", uid);
	/* the working directory, as the user (a non-root user's effective set is empty here) */
	if (chdir(cwd) < 0)
		fail(EXIT_CANNOT, errno, "cannot change to the working directory \"%s\"", shown(cwd));
	/* back to the full set for as long as the bounding set and the filters need it */
	set_caps(0, own_permitted(), own_permitted());
	for (int c = 0; c <= last_cap && c < 64; c++)
		if (!(caps & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			fail(EXIT_CONFINE, errno, "cannot drop capability %d from the bounding set", c);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail(EXIT_CONFINE, errno, "cannot clear the ambient capabilities");
	/* as the container's payload has them (systemd-nspawn): root keeps the set (inheritable too), another user starts with none */
	uint64_t held = uid == 0 ? caps : 0;
	if (nnp) {
		set_caps(held, held, held);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			fail(EXIT_CONFINE, errno, "cannot set no_new_privs");
		install_filters(filters);
	} else {
		/* installing a filter without no_new_privs needs CAP_SYS_ADMIN: before the last drop */
		install_filters(filters);
		set_caps(held, held, held);
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail(EXIT_CONFINE, errno, "cannot reset keep-capabilities");

	pid_t pid = fork();
	if (pid < 0)
		fail(EXIT_CONFINE, errno, "cannot start the command");
	if (pid > 0)
		return wait_child(pid);
	/*
	 * the command ends with this helper (a health check's timeout, an interrupted exec);
	 * the parent is outside the PID namespace, so getppid() is 0 while it lives
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != 0)
		fail(EXIT_CONFINE, errno, "cannot tie the command to racker");
	env[nenv] = NULL;
	exec_command(cmd, envp);
	return EXIT_CONFINE;
}
