# Unit tests of app/R/oidc.R, in base R (no test framework in the image).
# Run from docker/shiny:  Rscript tests/test-oidc.R
# Exits non-zero on the first failure; prints "N passed, 0 failed" otherwise.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE)[1])))
source(file.path(here, "..", "app", "R", "oidc.R"))

b64url <- function(text, pad = FALSE) {
  s <- chartr("+/", "-_", base64enc::base64encode(charToRaw(enc2utf8(text))))
  if (pad) s else sub("=+$", "", s)
}
jwt <- function(payload, pad = FALSE) {
  paste(b64url('{"alg":"ES256","kid":"k1","typ":"JWT"}', pad), b64url(payload, pad), "c2ln", sep = ".")
}
request <- function(header) {
  env <- new.env()
  if (!is.null(header)) env$HTTP_X_AMZN_OIDC_DATA <- header
  env
}

passed <- 0L
check <- function(name, got, want) {
  if (!identical(got, want)) {
    cat("FAIL:", name, "\n  got: ", deparse(got), "\n  want:", deparse(want), "\n")
    quit(status = 1)
  }
  passed <<- passed + 1L
}

jane <- '{"sub":"1b2c","given_name":"Jane","family_name":"Doe","email":"jane@example.com","exp":1700000000,"iss":"https://cognito-idp.us-east-1.amazonaws.com/pool"}'
check("signed in", signed_in_user(request(jwt(jane))),
      list(name = "Jane Doe", email = "jane@example.com", role = ""))
check("ALB-style padded segments", signed_in_user(request(jwt(jane, pad = TRUE))),
      list(name = "Jane Doe", email = "jane@example.com", role = ""))
check("list request", signed_in_user(list(HTTP_X_AMZN_OIDC_DATA = jwt(jane))),
      list(name = "Jane Doe", email = "jane@example.com", role = ""))
check("non-ASCII name", signed_in_user(request(jwt('{"given_name":"Zo\u00eb","family_name":"M\u00fcller","email":"zoe@example.com"}')))$name,
      "Zo\u00eb M\u00fcller")
check("bytes that need '-' and '_'",
      signed_in_user(request(jwt('{"given_name":"??>>","family_name":"~~~","email":"a@b.c"}')))$name,
      "??>> ~~~")
check("email only", signed_in_user(request(jwt('{"email":"x@example.com"}'))),
      list(name = "", email = "x@example.com", role = ""))
check("given name only", signed_in_user(request(jwt('{"given_name":"Jane"}'))),
      list(name = "Jane", email = "", role = ""))
check("non-string claims are ignored", signed_in_user(request(jwt('{"given_name":["a","b"],"family_name":3,"email":"x@example.com"}'))),
      list(name = "", email = "x@example.com", role = ""))
check("custom:role", signed_in_user(request(jwt('{"given_name":"Jane","family_name":"Doe","email":"jane@example.com","custom:role":" analyst "}'))),
      list(name = "Jane Doe", email = "jane@example.com", role = "analyst"))
check("custom:role not a string", signed_in_user(request(jwt('{"email":"x@example.com","custom:role":["a"]}')))$role, "")
check("custom:type is not the role", signed_in_user(request(jwt('{"email":"x@example.com","custom:type":"admin"}')))$role, "")

# Not signed in: missing or malformed headers.
check("no header", signed_in_user(request(NULL)), NULL)
check("NULL request", signed_in_user(NULL), NULL)
check("empty header", signed_in_user(request("")), NULL)
check("two segments", signed_in_user(request(paste(b64url("{}"), b64url(jane), sep = "."))), NULL)
check("four segments", signed_in_user(request(paste(jwt(jane), "x", sep = "."))), NULL)
check("not base64", signed_in_user(request("a.b*c.d")), NULL)
check("impossible base64 length", signed_in_user(request("a.abcde.c")), NULL)
check("empty payload", signed_in_user(request("a..c")), NULL)
check("payload not JSON", signed_in_user(request(jwt("not json"))), NULL)
check("payload a JSON array", signed_in_user(request(jwt('["Jane"]'))), NULL)
check("payload a JSON string", signed_in_user(request(jwt('"Jane"'))), NULL)
check("no name or email", signed_in_user(request(jwt('{"sub":"1b2c"}'))), NULL)
check("NUL byte in payload", signed_in_user(request(paste("a", sub("=+$", "", chartr("+/", "-_", base64enc::base64encode(as.raw(c(0x7b, 0x00, 0x7d))))), "c", sep = "."))), NULL)
check("invalid UTF-8", signed_in_user(request(paste("a", sub("=+$", "", chartr("+/", "-_", base64enc::base64encode(as.raw(c(0x22, 0xff, 0x22))))), "c", sep = "."))), NULL)
check("oversized header", signed_in_user(request(jwt(paste0('{"email":"', strrep("a", 20000), '"}')))), NULL)
check("header not a string", signed_in_user(list(HTTP_X_AMZN_OIDC_DATA = 42)), NULL)
check("NA header", signed_in_user(list(HTTP_X_AMZN_OIDC_DATA = NA_character_)), NULL)

cat(passed, "passed, 0 failed\n")
