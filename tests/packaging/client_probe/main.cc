// client-probe SOCKET COMPONENT PROPS_JSON: renders once and prints the html.
#include <cstdio>

#include "clients/cpp/client.h"

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  auto client = ssrd::client::Client::Connect(argv[1]);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.error().message.c_str());
    return 1;
  }
  auto rendered = client.value()->Render(argv[2], argv[3]);
  if (!rendered.ok()) {
    std::fprintf(stderr, "%s\n", rendered.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", rendered.value().html.c_str());
  return 0;
}
