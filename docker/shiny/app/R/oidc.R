# Who is signed in, read from the header the ALB adds after Cognito sign-in.
#
# Behind the ALB's authenticate-cognito action, every request to the app (the
# page and its websocket) carries `x-amzn-oidc-data`: a JWT,
# base64url(header).base64url(payload).signature, whose payload holds the
# user's claims (given_name, family_name, email, ...). In Shiny it is
# session$request$HTTP_X_AMZN_OIDC_DATA.
#
# These functions only decode the payload to show who is signed in. They do
# not check the signature: the ALB sets the header (it replaces any header of
# that name a client sends) and the tasks accept traffic only from the ALB.
# Before using a claim to authorize anything, verify the ES256 signature with
# the ALB's public key https://public-keys.auth.elb.REGION.amazonaws.com/KID
# (KID from the JWT header) and check `exp`.

# The most a header can hold that we are willing to decode.
oidc_max_header_chars <- 16384L

# base64url_decode returns the bytes of a base64url string (padding optional;
# the ALB pads its tokens, and standard base64 '+' '/' are accepted too), or
# NULL when x is not base64.
base64url_decode <- function(x) {
  if (!is.character(x) || length(x) != 1L || is.na(x) ||
      !grepl("^[A-Za-z0-9_+/-]*={0,2}$", x)) {
    return(NULL)
  }
  x <- sub("=+$", "", x)
  rest <- nchar(x) %% 4L
  if (nchar(x) == 0L || rest == 1L) {
    return(NULL) # empty, or a length no base64 string can have
  }
  if (rest > 0L) {
    x <- paste0(x, strrep("=", 4L - rest))
  }
  base64enc::base64decode(chartr("-_", "+/", x))
}

# oidc_claims returns the claims of an x-amzn-oidc-data value as a named list,
# or NULL when the header is missing or is not a JWT with a JSON object payload.
oidc_claims <- function(header) {
  if (!is.character(header) || length(header) != 1L || is.na(header) ||
      nchar(header) > oidc_max_header_chars) {
    return(NULL)
  }
  parts <- strsplit(header, ".", fixed = TRUE)[[1]]
  if (length(parts) != 3L) {
    return(NULL)
  }
  bytes <- base64url_decode(parts[[2]])
  if (is.null(bytes)) {
    return(NULL)
  }
  json <- tryCatch(rawToChar(bytes), error = function(e) NULL) # fails on NUL bytes
  if (is.null(json)) {
    return(NULL)
  }
  Encoding(json) <- "UTF-8"
  if (!validUTF8(json)) {
    return(NULL)
  }
  claims <- tryCatch(jsonlite::fromJSON(json, simplifyVector = FALSE),
                     error = function(e) NULL)
  if (!is.list(claims) || is.null(names(claims))) {
    return(NULL) # not a JSON object
  }
  claims
}

# claim_text returns a claim that is a single string, trimmed, or "".
claim_text <- function(claims, name) {
  value <- claims[[name]]
  if (is.character(value) && length(value) == 1L && !is.na(value)) trimws(value) else ""
}

# signed_in_user returns list(name, email, role) of the user signed in on
# request (a Shiny session$request, or anything with an HTTP_X_AMZN_OIDC_DATA
# field), or NULL when nobody is: no header, a malformed one, or no name and no
# email. role is the user pool's custom:role attribute, "" when the user has
# none (the app client must list it in its read attributes for the ALB to pass
# it on).
signed_in_user <- function(request) {
  header <- if (is.environment(request) || is.list(request)) request[["HTTP_X_AMZN_OIDC_DATA"]]
  claims <- oidc_claims(header)
  if (is.null(claims)) {
    return(NULL)
  }
  name <- trimws(paste(claim_text(claims, "given_name"), claim_text(claims, "family_name")))
  email <- claim_text(claims, "email")
  if (name == "" && email == "") {
    return(NULL)
  }
  list(name = name, email = email, role = claim_text(claims, "custom:role"))
}
