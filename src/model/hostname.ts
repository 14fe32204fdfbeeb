/**
 * Host names systemd-nspawn accepts (systemd's hostname_is_valid): dot-separated
 * labels of letters, digits and '-', a label neither starting nor ending with
 * '-', no empty label, no trailing dot, at most 63 characters. Anything else
 * would make nspawn exit 1 with "Invalid hostname" as if the command had failed.
 */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

export function isValidHostname(name: string): boolean {
  return name.length <= 63 && HOSTNAME.test(name);
}
