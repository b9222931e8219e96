// Turns the go command's output into the one line a person needs: which module could not be had
// and why, instead of pages of compiler or network noise.

/** One-line summary of a failed `go` run, or undefined when it is not a fetch failure. */
export function fetchFailure(output: string): string | undefined {
  const lines = output.split("\n");
  // "go: github.com/x/y@v1.2.3: reading https://proxy/...: 403 Forbidden" followed by
  // "\tserver response: This module version is not available."
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const reading = /(\S+@\S+?):? .*?reading \S+: (\d{3} [A-Za-z ]+)/.exec(line);
    if (reading) {
      const response = /server response:\s*(.*)/.exec(lines[i + 1] ?? "")?.[1];
      return `cannot fetch Go module ${reading[1]}: ${(reading[2] ?? "").trim()}${response ? ` (${response.trim()})` : ""}`;
    }
    const list = /module (\S+): reading \S+: (\d{3} [A-Za-z ]+)/.exec(line);
    if (list) return `cannot fetch Go module ${list[1]}: ${list[2]?.trim()}`;
    const network = /(\S+@\S+?):? .*(dial tcp|Could not resolve host|no such host|i\/o timeout|connection refused)(.*)/.exec(line);
    if (network) return `cannot fetch Go module ${network[1]}: network error (${network[2]}${network[3] ?? ""})`.trim();
    const disabled = /module lookup disabled by (GOPROXY=\S+|GOFLAGS=-mod=\S+)/.exec(line);
    if (disabled) {
      // The module is the first one go tried to download (go: downloading <path> <version>).
      const first = output.match(/^go: downloading (\S+) (\S+)$/m);
      const module = first ? `${first[1]}@${first[2]}` : "(see the log)";
      return `cannot fetch Go module ${module}: module lookup disabled by ${disabled[1]}`;
    }
    const missing = /(missing go\.sum entry for module providing package \S+|no required module provides package \S+)/.exec(line);
    if (missing) return `${missing[1]} (run go mod tidy in the wrapper module)`;
  }
  return undefined;
}

/** The last meaningful line of a failed go run, for failures that are not about fetching. */
export function lastError(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^(Command being timed|#)/.test(l));
  return lines.at(-1) ?? "go exited without output";
}
