# Build step of docker/shiny/Dockerfile (runs as root, from the folder that
# holds renv.lock): installs renv RENV_VERSION, restores renv.lock into the
# image's site library, and fails unless every package is at its locked
# version and shiny loads.
lockfile <- "renv.lock"
lib <- Sys.getenv("SHINY_R_LIBRARY", "/usr/local/lib/R/site-library")
renv_version <- Sys.getenv("RENV_VERSION")
renv_repo <- Sys.getenv("RENV_REPO")
if (renv_version == "" || renv_repo == "") {
  stop("set RENV_VERSION (e.g. 1.1.1) and RENV_REPO (the repository of renv.lock)")
}

# renv itself, at exactly RENV_VERSION: from the repository's current
# packages, or from its archive once a newer renv has been released there.
if (!requireNamespace("renv", quietly = TRUE) ||
    packageVersion("renv") != numeric_version(renv_version)) {
  tarball <- sprintf("renv_%s.tar.gz", renv_version)
  urls <- file.path(renv_repo, "src", "contrib", c(tarball, file.path("Archive", "renv", tarball)))
  dest <- file.path(tempdir(), tarball)
  ok <- FALSE
  for (url in urls) {
    ok <- !inherits(try(download.file(url, dest, quiet = TRUE), silent = TRUE), "try-error")
    if (ok) break
  }
  if (!ok) stop("renv ", renv_version, " is not in ", renv_repo, " (tried ", paste(urls, collapse = ", "), ")")
  install.packages(dest, repos = NULL, type = "source", lib = lib)
}

# The lockfile's own repository (a dated Posit Package Manager snapshot, so
# the same lockfile restores the same packages forever; renv turns it into the
# Ubuntu binary URL). No cache: it would leave symlinks into /root.
Sys.setenv(RENV_CONFIG_CACHE_ENABLED = "FALSE")
renv::restore(lockfile = lockfile, library = lib, prompt = FALSE)

lock <- renv::lockfile_read(lockfile)
wrong <- character()
for (p in lock$Packages) {
  have <- tryCatch(packageVersion(p$Package, lib.loc = lib), error = function(e) NULL)
  if (is.null(have) || have != numeric_version(p$Version)) {
    wrong <- c(wrong, sprintf("%s (locked %s, installed %s)", p$Package, p$Version,
                              if (is.null(have)) "none" else format(have)))
  }
}
if (length(wrong) > 0) stop("not restored from ", lockfile, ": ", paste(wrong, collapse = "; "))
loadNamespace("shiny", lib.loc = lib)
cat("restored", length(lock$Packages), "packages from", lockfile, "\n")
