# The Shiny app `make bench-proxy` runs behind each proxy: one input and one
# output that echoes it, so a client's message makes Shiny answer through the
# whole reactive cycle (input update, output recalculation, values message),
# as a user's click does.
library(shiny)

ui <- fluidPage(
  textInput("ping", "ping"),
  textOutput("echo")
)

server <- function(input, output, session) {
  output$echo <- renderText(input$ping)
}

shinyApp(ui, server)
