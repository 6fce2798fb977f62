# Starts the Shiny app in the container (the image's CMD).
#
# In the ECS task the session sidecar listens on the target group's port and
# proxies to this server on 127.0.0.1:SHINY_PORT (awsvpc: the task's
# containers share localhost). SHINY_HOST=127.0.0.1 accepts only that proxy;
# the default 0.0.0.0 also serves `docker run -p 3838:3838` for local tests.
options(shiny.sanitize.errors = TRUE) # users see a generic message, the log has the error

port <- suppressWarnings(as.integer(Sys.getenv("SHINY_PORT", "3838")))
if (is.na(port) || port < 1L || port > 65535L) {
  stop("SHINY_PORT=", Sys.getenv("SHINY_PORT"), ": must be a port number from 1 to 65535")
}
# shiny::runApp takes a set SHINY_PORT to mean it runs under Shiny Server and
# warns "Shiny Server v0.3.4 or later is required"; the port is read above.
Sys.unsetenv("SHINY_PORT")
shiny::runApp(
  Sys.getenv("SHINY_APP_DIR", "/opt/shiny/app"),
  host = Sys.getenv("SHINY_HOST", "0.0.0.0"),
  port = port,
  launch.browser = FALSE
)
