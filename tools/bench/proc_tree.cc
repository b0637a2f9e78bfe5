#include "tools/bench/proc_tree.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <unistd.h>

namespace ssrd::bench {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// /proc/PID/stat: "pid (comm) state ppid … utime stime cutime cstime …"; comm may hold spaces
// and parentheses, so fields are counted after the last ')'. reaped_cpu_s: the CPU time of its
// children that have exited and been waited for (cutime + cstime).
bool ReadStat(pid_t pid, pid_t* ppid, double* cpu_s, double* reaped_cpu_s) {
  const std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0, cutime = 0, cstime = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state
    if (i == 4) *ppid = static_cast<pid_t>(std::atol(field.c_str()));
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 16) cutime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 17) {
      cstime = std::strtoull(field.c_str(), nullptr, 10);
      break;
    }
  }
  static const double kTicks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  *cpu_s = static_cast<double>(utime + stime) / kTicks;
  *reaped_cpu_s = static_cast<double>(cutime + cstime) / kTicks;
  return true;
}

std::uint64_t RollupKb(const std::string& rollup, const char* key) {
  const auto at = rollup.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoull(rollup.c_str() + at + std::char_traits<char>::length(key), nullptr, 10);
}

}  // namespace

double MachineBusySeconds() {
  std::istringstream stat(Slurp("/proc/stat"));
  std::string name;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     steal = 0;
  stat >> name >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  if (name != "cpu") return 0;
  static const double kTicks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return static_cast<double>(user + nice + system + irq + softirq + steal) / kTicks;
}

TreeSample SampleTree(pid_t root) {
  std::map<pid_t, pid_t> parent;  // every process on the machine
  std::map<pid_t, double> cpu;
  std::map<pid_t, double> reaped_cpu;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.c_str()));
    pid_t ppid = 0;
    double cpu_s = 0, reaped_cpu_s = 0;
    if (ReadStat(pid, &ppid, &cpu_s, &reaped_cpu_s)) {
      parent[pid] = ppid;
      cpu[pid] = cpu_s;
      reaped_cpu[pid] = reaped_cpu_s;
    }
  }
  TreeSample sample;
  if (!parent.count(root)) return sample;
  std::vector<pid_t> tree{root};
  for (std::size_t i = 0; i < tree.size(); ++i) {
    for (const auto& [pid, ppid] : parent) {
      if (ppid == tree[i]) tree.push_back(pid);
    }
  }
  for (pid_t pid : tree) {
    const std::string dir = "/proc/" + std::to_string(pid);
    const std::string rollup = Slurp(dir + "/smaps_rollup");
    if (rollup.empty()) continue;
    ProcessUsage usage;
    usage.pid = pid;
    usage.name = Slurp(dir + "/comm");
    while (!usage.name.empty() && usage.name.back() == '\n') usage.name.pop_back();
    usage.rss_kb = RollupKb(rollup, "\nRss:");
    usage.pss_kb = RollupKb(rollup, "\nPss:");
    usage.cpu_s = cpu[pid];
    sample.rss_kb += usage.rss_kb;
    sample.pss_kb += usage.pss_kb;
    // A worker that exited (recycled, replaced) is no longer in the tree; what it used went to
    // its parent's cutime/cstime when the parent waited for it. Without it, a run that replaces
    // workers looked as if other processes had taken the CPU.
    sample.cpu_s += usage.cpu_s + reaped_cpu[pid];
    sample.processes.push_back(std::move(usage));
  }
  return sample;
}

}  // namespace ssrd::bench
