#include "isolates/msgpack_to_v8.h"

#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <msgpack.hpp>

namespace ssrd::isolates {
namespace {

using ipc::ErrorCode;

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

ipc::Error BadProps(std::string message) {
  return ipc::MakeError(ErrorCode::kBadRequest, std::move(message));
}

class Converter {
 public:
  Converter(v8::Isolate* isolate, v8::Local<v8::Context> context)
      : isolate_(isolate), context_(context) {}

  // Returns empty and sets error_ on failure.
  v8::MaybeLocal<v8::Value> Convert(const msgpack::object& o, std::size_t depth) {
    if (depth > kMaxPropsDepth) return Fail("props nested too deeply");
    switch (o.type) {
      case msgpack::type::NIL:
        return v8::Null(isolate_);
      case msgpack::type::BOOLEAN:
        return v8::Boolean::New(isolate_, o.via.boolean);
      case msgpack::type::POSITIVE_INTEGER:
        if (static_cast<double>(o.via.u64) <= kMaxSafeInteger) {
          return v8::Number::New(isolate_, static_cast<double>(o.via.u64));
        }
        return v8::BigInt::NewFromUnsigned(isolate_, o.via.u64);
      case msgpack::type::NEGATIVE_INTEGER:
        if (static_cast<double>(o.via.i64) >= -kMaxSafeInteger) {
          return v8::Number::New(isolate_, static_cast<double>(o.via.i64));
        }
        return v8::BigInt::New(isolate_, o.via.i64);
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64:
        return v8::Number::New(isolate_, o.via.f64);
      case msgpack::type::STR:
        return String(o.via.str.ptr, o.via.str.size, v8::NewStringType::kNormal);
      case msgpack::type::BIN: {
        auto buffer = v8::ArrayBuffer::New(isolate_, o.via.bin.size);
        if (o.via.bin.size > 0) {
          std::memcpy(buffer->GetBackingStore()->Data(), o.via.bin.ptr, o.via.bin.size);
        }
        return v8::Uint8Array::New(buffer, 0, o.via.bin.size);
      }
      case msgpack::type::ARRAY:
        return Array(o.via.array, depth);
      case msgpack::type::MAP:
        return Map(o.via.map, depth);
      case msgpack::type::EXT:
        return Fail("props contain a MessagePack extension type");
    }
    return Fail("props contain an unknown MessagePack type");
  }

  ipc::Error error() const { return error_; }

 private:
  v8::MaybeLocal<v8::Value> Fail(std::string message) {
    error_ = BadProps(std::move(message));
    return {};
  }

  v8::MaybeLocal<v8::Value> String(const char* data, std::size_t size, v8::NewStringType type) {
    if (size > static_cast<std::size_t>(v8::String::kMaxLength)) {
      return Fail("props string too long");
    }
    v8::Local<v8::String> s;
    if (!v8::String::NewFromUtf8(isolate_, data, type, static_cast<int>(size)).ToLocal(&s)) {
      return Fail("props string too long");
    }
    return s;
  }

  v8::MaybeLocal<v8::Value> Array(const msgpack::object_array& a, std::size_t depth) {
    std::vector<v8::Local<v8::Value>> items;
    items.reserve(a.size);
    for (std::uint32_t i = 0; i < a.size; ++i) {
      v8::Local<v8::Value> item;
      if (!Convert(a.ptr[i], depth + 1).ToLocal(&item)) return {};
      items.push_back(item);
    }
    return v8::Array::New(isolate_, items.data(), items.size());
  }

  v8::MaybeLocal<v8::Value> Map(const msgpack::object_map& m, std::size_t depth) {
    v8::Local<v8::Object> object = v8::Object::New(isolate_);
    for (std::uint32_t i = 0; i < m.size; ++i) {
      const msgpack::object& k = m.ptr[i].key;
      v8::Local<v8::Value> key;
      if (k.type == msgpack::type::STR) {
        // Keys repeat across objects of a list; internalised strings are shared.
        if (!String(k.via.str.ptr, k.via.str.size, v8::NewStringType::kInternalized)
                 .ToLocal(&key)) {
          return {};
        }
      } else if (k.type == msgpack::type::POSITIVE_INTEGER) {
        std::string text = std::to_string(k.via.u64);
        key = String(text.data(), text.size(), v8::NewStringType::kNormal).ToLocalChecked();
      } else if (k.type == msgpack::type::NEGATIVE_INTEGER) {
        std::string text = std::to_string(k.via.i64);
        key = String(text.data(), text.size(), v8::NewStringType::kNormal).ToLocalChecked();
      } else {
        return Fail("props map keys must be strings or integers");
      }
      v8::Local<v8::Value> value;
      if (!Convert(m.ptr[i].val, depth + 1).ToLocal(&value)) return {};
      if (!object->CreateDataProperty(context_, key.As<v8::Name>(), value).FromMaybe(false)) {
        return Fail("props could not be converted");
      }
    }
    return object;
  }

  v8::Isolate* isolate_;
  v8::Local<v8::Context> context_;
  ipc::Error error_;
};

}  // namespace

ipc::Result<v8::Local<v8::Value>> MsgpackToV8(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                              std::string_view bytes) {
  if (bytes.empty()) return v8::Local<v8::Value>(v8::Object::New(isolate));
  msgpack::object_handle handle;
  std::size_t offset = 0;
  try {
    // The depth limit makes msgpack-c itself refuse deeper input, so the converter's recursion
    // below is bounded too. Arrays and maps: one level each, plus one for the root.
    // A header may announce up to 4G elements and msgpack-c allocates for all of them before
    // reading one (5 bytes of props reserved 4 GiB; found by fuzz/props_fuzz.cc). Each element
    // takes at least one byte (two per map entry), so the input bounds the counts, as in
    // ipc/message.cc.
    const std::size_t n = bytes.size();
    msgpack::unpack_limit limit(n, n / 2, n, n, n, kMaxPropsDepth + 1);
    handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limit);
  } catch (const msgpack::depth_size_overflow&) {
    return BadProps("props nested too deeply");
  } catch (const msgpack::size_overflow&) {
    return BadProps("props announce more elements or bytes than they hold");
  } catch (const std::exception& e) {
    return BadProps(std::string("props are not valid MessagePack: ") + e.what());
  }
  if (offset != bytes.size()) return BadProps("props hold bytes after the first value");
  Converter converter(isolate, context);
  v8::Local<v8::Value> value;
  if (!converter.Convert(handle.get(), 0).ToLocal(&value)) return converter.error();
  return value;
}

}  // namespace ssrd::isolates
