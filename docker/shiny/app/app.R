# Sample app: shows who is signed in (from the ALB's Cognito sign-in) and
# signs them out. R/oidc.R is loaded by shiny::runApp (it sources R/*.R).
library(shiny)

ui <- fluidPage(
  title = "Shiny on AWS Fargate",
  tags$div(
    style = "max-width: 42em; margin: 2em auto;",
    tags$div(
      style = "display: flex; justify-content: space-between; align-items: center;",
      tags$h2("Shiny on AWS Fargate"),
      # A plain link, so the whole page leaves the app: the ALB routes /logout
      # to the logout server, which expires the ALB session cookies and ends
      # the Cognito session, then shows the signed-out page.
      tags$a(id = "sign-out", href = "/logout", class = "btn btn-default", "Sign out")
    ),
    uiOutput("user")
  )
)

server <- function(input, output, session) {
  # The websocket's request: headers as HTTP_* fields, including the ALB's
  # HTTP_X_AMZN_OIDC_DATA. Read once; it does not change during a session.
  user <- signed_in_user(session$request)

  output$user <- renderUI({
    if (is.null(user)) {
      return(tags$p(id = "signed-in-user", class = "text-muted", "Not signed in."))
    }
    tagList(
      tags$p(
        id = "signed-in-user",
        "Signed in as ", tags$strong(if (user$name != "") user$name else user$email),
        if (user$name != "" && user$email != "") tags$span(" (", user$email, ")")
      ),
      # custom:role, when the user pool holds one for this user.
      if (user$role != "") tags$p(id = "signed-in-role", "Role: ", tags$strong(user$role))
    )
  })
}

shinyApp(ui, server)
