# Test app for the sidecar's tests against real R (real_r_test.go): input
# "sleep" keeps the session's R thread busy (Sys.sleep) for that many
# seconds, as a long computation does; every session's start and end is
# written to stderr. (Outputs render only once the client reports them
# visible: .clientdata_output_done_hidden = false.)
library(shiny)

ui <- fluidPage(numericInput("sleep", "Seconds to compute", 0), textOutput("done"))

server <- function(input, output, session) {
  message("session started")
  session$onSessionEnded(function() message("session ended"))
  output$done <- renderText({
    s <- input$sleep
    if (!is.null(s) && !is.na(s) && s > 0) Sys.sleep(s)
    message("rendered after sleeping ", s, " s")
    paste("computed for", s, "s")
  })
}

shinyApp(ui, server)
