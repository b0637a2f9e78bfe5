#include <sys/random.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "isolates/v8_strings.h"
#include "isolates/web_natives.h"

namespace ssrd::isolates {

void RandomFill(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsArrayBufferView()) {
    isolate->ThrowException(
        v8::Exception::TypeError(Literal(isolate, "randomFill expects an ArrayBufferView")));
    return;
  }
  v8::Local<v8::ArrayBufferView> view = info[0].As<v8::ArrayBufferView>();
  auto* data = static_cast<unsigned char*>(view->Buffer()->GetBackingStore()->Data());
  std::size_t length = view->ByteLength();
  if (data == nullptr || length == 0) return;
  data += view->ByteOffset();
  // getrandom returns at most 33554431 bytes per call and may be interrupted by a signal after
  // 256 bytes; flags 0 reads the urandom pool, blocking only until it is first initialised.
  for (std::size_t done = 0; done < length;) {
    ssize_t got = getrandom(data + done, length - done, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      std::string why = "getrandom failed: " + std::string(std::strerror(got < 0 ? errno : EIO));
      isolate->ThrowException(v8::Exception::Error(Literal(isolate, why)));
      return;
    }
    done += static_cast<std::size_t>(got);
  }
}

}  // namespace ssrd::isolates
