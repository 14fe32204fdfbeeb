/** What mmdebstrap 1.3 prints when the archive host cannot be resolved (as with archive.debian.org here). */
export const MMDEBSTRAP_DNS = `I: chroot architecture amd64 is equal to the host's architecture
I: finding correct signed-by value...
I: using /tmp/mmdebstrap.cyS4yufSBU as tempdir
I: running apt-get update...
Ign:1 http://archive.debian.org/debian stretch InRelease
Ign:1 http://archive.debian.org/debian stretch InRelease
Err:1 http://archive.debian.org/debian stretch InRelease
  Temporary failure resolving 'archive.debian.org'
Reading package lists...
E: Failed to fetch http://archive.debian.org/debian/dists/stretch/InRelease  Temporary failure resolving 'archive.debian.org'
E: Some index files failed to download. They have been ignored, or old ones used instead.
E: apt-get update --error-on=any -oAPT::Status-Fd=<$fd> -oDpkg::Use-Pty=false failed
I: main() received signal PIPE: waiting for setup...
I: removing tempdir /tmp/mmdebstrap.cyS4yufSBU...
E: mmdebstrap failed to run
`;
